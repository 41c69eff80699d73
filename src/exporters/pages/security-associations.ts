/**
 * The Security Associations page: from SA descriptions and the RADIUS counters only. There is no
 * key to show, by type; RADIUS secrets and passwords never reach the collector.
 */
import type { RadiusSnapshot } from '../../collector/radius.ts';
import type { SecurityAssociationDescription } from '../../collector/vocabulary.ts';
import { html } from './html.ts';
import { layout, table } from './layout.ts';

function source(sa: SecurityAssociationDescription): string {
  if (sa.source !== 'radius') return sa.source;
  const parts = [sa.server ? `radius ${sa.server}` : 'radius'];
  if (sa.attributeStyle) parts.push(`${sa.attributeStyle} attributes`);
  if (sa.homeAgent) parts.push(`home agent ${sa.homeAgent}`);
  return parts.join(', ');
}

function radiusTable(radius: RadiusSnapshot | undefined) {
  if (!radius) return html``;
  return html`<h2>RADIUS servers</h2>
    ${table(
      [
        'Server',
        'Lookups',
        'Accepts',
        'Rejects',
        'Timeouts',
        'Malformed',
        'Bad authenticator',
        'Failovers',
        'Cache hits (accept / reject)',
        'Last result',
        'Last problem',
      ],
      radius.servers.map(
        (r) =>
          html`<tr>
            <td>${r.server}</td>
            <td>${r.lookups}</td>
            <td>${r.results.accept}</td>
            <td>${r.results.reject}</td>
            <td>${r.results.timeout}</td>
            <td>${r.results.malformed}</td>
            <td>${r.results['bad-authenticator']}</td>
            <td>${r.failovers}</td>
            <td>${r.cacheHits.accept} / ${r.cacheHits.reject}</td>
            <td>${r.lastResult ?? '—'}</td>
            <td>${r.lastProblem ?? ''}</td>
          </tr>`,
      ),
    )}`;
}

export function securityAssociationsPage(
  sas: SecurityAssociationDescription[],
  radius?: RadiusSnapshot,
): string {
  const body = html` <p class="muted">Keys are never shown.</p>
    ${table(
      ['SPI', 'Address or range', 'Algorithm', 'Replay protection', 'Source', 'Age'],
      sas.map(
        (sa) =>
          html`<tr>
            <td>${sa.spi}</td>
            <td>${sa.scope}</td>
            <td>${sa.algorithm}</td>
            <td>${sa.replay}${sa.replay === 'timestamp' ? ` (±${sa.replayWindowSeconds} s)` : ''}</td>
            <td>${source(sa)}</td>
            <td>${sa.ageSeconds === undefined ? '' : `${sa.ageSeconds} s`}</td>
          </tr>`,
      ),
    )}
    ${radiusTable(radius)}`;
  return layout('Security Associations', '/security-associations', body);
}
