/** The demo's closing table fits a 120-column terminal (issue 15 item 8) and loses no word of any cell. */
import { describe, expect, it } from 'vitest';
import { renderTable, type IncidentRow } from '../../../cli/demo/view.js';

// What a real run prints (long rule ids, capability lists, refused counts).
const rows: IncidentRow[] = [
  { incident: 'prompt injection turns an agent', agentId: 'support-007', detected: true, timeToDetect: '0 min', alert: 'CRITICAL injection.marker.instruction-override (x14)', response: 'QUARANTINE by responder', stopped: 'yes: 1,234 actions refused' },
  { incident: 'finance agent: unusual payments', agentId: 'finance-012', detected: true, timeToDetect: '12 min', alert: 'HIGH volume-spike.agent.payment-amount (x3)', response: 'THROTTLE payment.transfer,permission.change,email.send by responder', stopped: 'isolated; no further attempts' },
  { incident: 'impostor sends forged events', agentId: 'research-031', detected: false, timeToDetect: '-', alert: '-', response: '-', stopped: 'n/a: an impostor, not the agent' },
];

describe('demo table', () => {
  it('is at most 120 columns wide, and every word of every cell is still there', () => {
    const text = renderTable(rows);
    const lines = text.split('\n');
    for (const l of lines) expect(l.length, l).toBeLessThanOrEqual(120);
    for (const r of rows) {
      for (const cell of [r.incident, r.agentId, r.alert, r.response, r.stopped]) {
        // Words, and the items of a comma list (a line may break after a comma).
        for (const word of cell.split(/ |(?<=,)/)) expect(text).toContain(word);
      }
    }
    expect(text).toMatch(/\bNO\b/); // the undetected incident says so
  });

  it('still fits when a single word is longer than the room left (it is cut, not overflowing)', () => {
    const text = renderTable([{ ...rows[0]!, response: `QUARANTINE by ${'x'.repeat(90)}` }]);
    for (const l of text.split('\n')) expect(l.length, l).toBeLessThanOrEqual(120);
  });

  it('stays one line per row when it fits', () => {
    const text = renderTable([{ incident: 'exfil', agentId: 'a-1', detected: true, timeToDetect: '1 min', alert: 'HIGH x', response: 'notify', stopped: 'no' }]);
    expect(text.split('\n')).toHaveLength(3);
  });
});
