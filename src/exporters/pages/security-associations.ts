/** The Security Associations page: from SA descriptions only. There is no key to show, by type. */
import type { SecurityAssociationDescription } from '../../pmip/security/store.ts';
import { html } from './html.ts';
import { layout, table } from './layout.ts';

export function securityAssociationsPage(sas: SecurityAssociationDescription[]): string {
  const body = html` <p class="muted">Keys are never shown.</p>
    ${table(
      ['SPI', 'Address or range', 'Algorithm', 'Replay protection', 'Source'],
      sas.map(
        (sa) =>
          html`<tr>
            <td>${sa.spi}</td>
            <td>${sa.scope}</td>
            <td>${sa.algorithm}</td>
            <td>${sa.replay}${sa.replay === 'timestamp' ? ` (±${sa.replayWindowSeconds} s)` : ''}</td>
            <td>${sa.source}</td>
          </tr>`,
      ),
    )}`;
  return layout('Security Associations', '/security-associations', body);
}
