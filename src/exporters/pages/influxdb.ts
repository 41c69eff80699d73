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
  const rows = [
    row('Target', `${s.target} (${s.api === 'v1' ? '/write, InfluxDB 1.x' : '/api/v2/write'})`),
    row('Snapshot interval, seconds', s.intervalSeconds),
    row('Per-attempt points (pmip_registration)', s.outcomes ? 'on' : 'off'),
    row('Points queued', s.pointsQueued),
    row('Points written', s.pointsWritten),
    row('Points buffered (not yet written)', s.pointsBuffered),
    ...Object.entries(s.pointsDropped).map(([reason, n]) => row(`Points dropped: ${reason}`, n)),
    ...Object.entries(s.writeFailures).map(([cause, n]) => row(`Write failures: ${cause}`, n)),
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
