/** The Subnet Map Table page, with the Refresh button that re-fetches the table from the AAP. */
import type { SubnetMapView } from '../../collector/collector.ts';
import { agentName } from './format.ts';
import { html } from './html.ts';
import { formatDuration, layout, table } from './layout.ts';

export interface SubnetMapPageInput {
  rows: SubnetMapView[];
  canRefresh: boolean;
  message?: string | undefined;
  /** Home agent address -> its name (the label value), for "name (address)". */
  homeAgentNames?: ReadonlyMap<string, string>;
}

export function subnetMapPage({ rows, canRefresh, message, homeAgentNames }: SubnetMapPageInput): string {
  const body = html` <form method="post" action="/subnet-map/refresh">
      <button
        type="submit"
        id="refresh"
        ${canRefresh ? '' : html` disabled title="no refresh action configured"`}
      >
        Refresh from the AAP
      </button>
    </form>
    ${message ? html`<p id="refresh-message">${message}</p>` : ''}
    <p class="muted">${rows.length} rows.</p>
    ${table(
      ['Home agent', 'Mask', 'Network', 'Source', 'Age'],
      rows.map(
        (r) =>
          html`<tr>
            <td>${agentName(homeAgentNames?.get(r.homeAgent), r.homeAgent)}</td>
            <td>${r.mask} (/${r.prefixLength})</td>
            <td>${r.network}/${r.prefixLength}</td>
            <td>${r.source}</td>
            <td>${formatDuration(r.ageSeconds)}</td>
          </tr>`,
      ),
    )}`;
  return layout('Subnet Map Table', '/subnet-map', body);
}
