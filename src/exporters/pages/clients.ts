/** The Mobile Clients page: live rows, filtered by access point and state. */
import type { ClientView } from '../../collector/clients.ts';
import { CLIENT_STATES } from '../../collector/clients.ts';
import { replyCode } from '../../pmip/wire/reply-codes.ts';
import { html, raw } from './html.ts';
import { formatDuration, formatTime, layout, table } from './layout.ts';

export interface ClientsPageInput {
  rows: ClientView[];
  total: number;
  accessPoints: string[];
  filter: { accessPoint?: string; state?: string };
}

export function clientsPage({ rows, total, accessPoints, filter }: ClientsPageInput): string {
  const option = (value: string, current: string | undefined, text = value) =>
    html`<option value="${value}" ${value === (current ?? '') ? raw(' selected') : ''}>${text}</option>`;
  const body = html` <form class="filters" method="get" action="/clients">
      <label
        >Access point
        <select name="access_point">
          ${option('', filter.accessPoint, 'all')}${accessPoints.map((ap) => option(ap, filter.accessPoint))}
        </select></label
      >
      <label
        >State
        <select name="state">
          ${option('', filter.state, 'all')}${CLIENT_STATES.map((s) => option(s, filter.state))}
        </select></label
      >
      <button type="submit">Filter</button>
    </form>
    <p class="muted" id="client-count">Showing ${rows.length} of ${total} clients.</p>
    ${table(
      [
        'MAC',
        'Address',
        'Access point',
        'SSID',
        'State',
        'Home agent',
        'Care-of address',
        'Lifetime left',
        'Last code',
        'Last seen',
      ],
      rows.map((c) => {
        const code = c.lastCode === null ? null : replyCode(c.lastCode);
        return html`<tr data-mac="${c.mac}">
          <td>${c.mac}</td>
          <td>${c.address}</td>
          <td>${c.accessPoint}</td>
          <td>${c.ssid}</td>
          <td class="${c.state === 'isolated' ? 'bad' : c.state === 'registered' ? 'good' : ''}">
            ${c.state}
          </td>
          <td>${c.homeAgent ?? '—'}</td>
          <td>${c.careOfAddress ?? '—'}</td>
          <td>${formatDuration(c.lifetimeLeftSeconds)}</td>
          <td>${code ? html`<span title="${code.description}">${code.code} ${code.reason}</span>` : '—'}</td>
          <td>${formatTime(c.lastSeen)}</td>
        </tr>`;
      }),
    )}`;
  return layout('Mobile Clients', '/clients', body);
}
