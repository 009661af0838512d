/** Whole-machine CPU use from /proc/stat (Linux), to tell a benchmark's own load from everything else on the host. */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

export interface CpuTicks { busy: number; total: number }

export function cpuTicks(): CpuTicks | null {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = (f[3] ?? 0) + (f[4] ?? 0); // idle + iowait
    const total = f.slice(0, 8).reduce((s, x) => s + x, 0); // user nice system idle iowait irq softirq steal
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

/** Cores kept busy between two readings (all processes on the host), e.g. 1.7 of 2. */
export function busyCores(a: CpuTicks | null, b: CpuTicks | null): number {
  if (!a || !b || b.total === a.total) return Number.NaN;
  return ((b.busy - a.busy) / (b.total - a.total)) * cpus().length;
}

export function load1(): number {
  return loadavg()[0] ?? Number.NaN;
}
