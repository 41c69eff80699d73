/** The Statistics page's InfluxDB section: the writer's figures (the same as the self-metrics). */
import type { InfluxdbStatistics } from '../influx/status.ts';
import { html } from './html.ts';
import type { SafeHtml } from './html.ts';
import { table } from './layout.ts';

export function influxdbSection(s: InfluxdbStatistics): SafeHtml {
  const row = (name: string, value: string | number) =>
    html`<tr>
      <th scope="row">${name}</th>
      <td>${String(value)}</td>
    </tr>`;
  // Counts carry their JSON path in /api/v1/statistics, as every number of the page does.
  const count = (name: string, path: string[], value: number) =>
    html`<tr>
      <th scope="row">${name}</th>
      <td class="n" data-stat="${JSON.stringify(['influxdb', ...path])}">${value}</td>
    </tr>`;
  const rows = [
    row('Target', `${s.target} (${s.api === 'v1' ? '/write, InfluxDB 1.x' : '/api/v2/write'})`),
    row('Snapshot interval, seconds', s.intervalSeconds),
    row('Per-attempt points (pmip_registration)', s.outcomes ? 'on' : 'off'),
    count('Points queued', ['pointsQueued'], s.pointsQueued),
    count('Points written', ['pointsWritten'], s.pointsWritten),
    count('Points buffered (not yet written)', ['pointsBuffered'], s.pointsBuffered),
    ...Object.entries(s.pointsDropped).map(([reason, n]) =>
      count(`Points dropped: ${reason}`, ['pointsDropped', reason], n),
    ),
    ...Object.entries(s.writeFailures).map(([cause, n]) =>
      count(`Write failures: ${cause}`, ['writeFailures', cause], n),
    ),
    row(
      'Last write duration, seconds',
      s.lastWriteDurationSeconds === null ? 'none yet' : s.lastWriteDurationSeconds.toFixed(4),
    ),
    row('Last success', s.lastSuccessAt ?? 'none yet'),
    row(
      'Last failure',
      s.lastFailure === null
        ? 'none'
        : `${s.lastFailure.at}: ${s.lastFailure.cause}${s.lastFailure.status !== null ? ` (HTTP ${s.lastFailure.status})` : ''}, ${s.lastFailure.message}`,
    ),
  ];
  return table(['InfluxDB exporter', 'Value'], rows, 'InfluxDB exporter');
}
