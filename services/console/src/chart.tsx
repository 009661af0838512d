/**
 * Observed vs baseline as a small bar chart (uPlot): the baseline's median and
 * mean, the mean + 3 std line the spike is measured against, and what was
 * observed. Rule-based alerts with no baseline show the observed bar alone.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Alert } from '../../../shared/schemas/generated.js';

const LABELS = ['median', 'mean', 'mean+3σ', 'observed'];

export function EvidenceChart({ evidence }: { evidence: Alert['evidence'] }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!box.current) return;
    const { baselineMedian, baselineMean, baselineStd, observed } = evidence;
    const upper = baselineMean !== null && baselineStd !== null ? baselineMean + 3 * baselineStd : null;
    const bars = uPlot.paths.bars!({ size: [0.6, 48] });
    const plot = new uPlot(
      {
        width: 340, height: 170, legend: { show: false }, cursor: { show: false },
        scales: { x: { time: false, range: [-0.5, 3.5] }, y: { range: (_u, _min, max) => [0, max * 1.15 || 1] } },
        axes: [{ values: (_u, ticks) => ticks.map((t) => LABELS[t] ?? ''), splits: () => [0, 1, 2, 3] }, { size: 56 }],
        series: [{}, { label: 'baseline', fill: '#7aa2c8', stroke: '#4a7aa8', paths: bars }, { label: 'observed', fill: '#e0675a', stroke: '#b8443a', paths: bars }],
      },
      [[0, 1, 2, 3], [baselineMedian, baselineMean, upper, null], [null, null, null, observed]],
      box.current,
    );
    return () => plot.destroy();
  }, [evidence]);
  return <div class="chart" ref={box} data-testid="evidence-chart" />;
}
