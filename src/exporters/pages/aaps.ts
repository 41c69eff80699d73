/** The AAP status page: configured authoritative access points, reachability, table version. */
import type { AapStatus } from '../../collector/aaps.ts';
import type { StatisticsDocument } from '../statistics.ts';
import { html } from './html.ts';
import { formatTime, layout, table } from './layout.ts';

export function aapsPage(status: AapStatus[], aap: StatisticsDocument['aap']): string {
  const body = html` ${table(
    ['AAP', 'Configured', 'Reachable', 'Since', 'Table version', 'Rows', 'Last update'],
    status.map(
      (a) =>
        html`<tr>
          <td>${a.aap}</td>
          <td>${a.configured ? 'yes' : 'no'}</td>
          <td class="${a.reachable === false ? 'bad' : a.reachable ? 'good' : 'muted'}">
            ${a.reachable === null ? 'unknown' : a.reachable ? 'yes' : 'no'}
          </td>
          <td>${formatTime(a.reachabilityChangedAt)}</td>
          <td>${a.lastVersion ?? '—'}</td>
          <td>${a.rows ?? '—'}</td>
          <td>${formatTime(a.lastUpdateAt)}</td>
        </tr>`,
    ),
  )}
  ${table(
    ['Event', 'Count'],
    [
      html`<tr>
        <td>Failovers</td>
        <td class="n">${aap.failovers}</td>
      </tr>`,
      html`<tr>
        <td>Push retries</td>
        <td class="n">${aap.pushRetries}</td>
      </tr>`,
      html`<tr>
        <td>Access points handed over</td>
        <td class="n">${aap.handovers}</td>
      </tr>`,
      html`<tr>
        <td>Reconciliations (rows changed)</td>
        <td class="n">${aap.reconciliations} (${aap.reconciledRows})</td>
      </tr>`,
      ...Object.entries(aap.refused).map(
        ([reason, n]) =>
          html`<tr>
            <td>Messages refused: ${reason}</td>
            <td class="n">${n}</td>
          </tr>`,
      ),
    ],
    'AAP protocol',
  )}`;
  return layout('AAP Status', '/aaps', body);
}
