/**
 * The Statistics page: the statistics document grouped as the Mobile IP MIB groups it. Every
 * number carries `data-stat`, the JSON path of the same number in /api/v1/statistics, so a test
 * can prove page and API agree.
 */
import { replyCode } from '../../pmip/wire/reply-codes.ts';
import type { StatisticsDocument } from '../statistics.ts';
import type { SafeHtml } from './html.ts';
import { html } from './html.ts';
import { layout, table } from './layout.ts';

type Path = ReadonlyArray<string>;

function valueAt(doc: unknown, path: Path): unknown {
  let v: unknown = doc;
  for (const key of path)
    v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
  return v;
}

/** A numeric cell tied to its JSON path. */
function stat(doc: StatisticsDocument, path: Path): SafeHtml {
  const v = valueAt(doc, path);
  return html`<td class="n" data-stat="${JSON.stringify(path)}">${typeof v === 'number' ? v : '—'}</td>`;
}

/** Rows of (label, path) as a two-column table. */
function group(doc: StatisticsDocument, caption: string, rows: ReadonlyArray<[string, Path]>): SafeHtml {
  return table(
    ['Counter', 'Value'],
    rows.map(
      ([name, path]) =>
        html`<tr>
          <th scope="row">${name}</th>
          ${stat(doc, path)}
        </tr>`,
    ),
    caption,
  );
}

export function statisticsPage(doc: StatisticsDocument): string {
  const r = ['registrations'];
  const codes = Object.keys(doc.registrations.deniedByCode)
    .map(Number)
    .sort((a, b) => a - b);
  const body = html` <p class="muted">
      Totals over all access points at ${doc.generatedAt}. The same numbers:
      <a href="/api/v1/statistics">/api/v1/statistics</a>.
    </p>
    ${group(doc, 'Registration (mnRegistrationGroup)', [
      ['Initial registration requests sent (mnRegRequestsSent)', [...r, 'sent', 'initial']],
      ['Re-registration requests sent (mnRegRequestsSent)', [...r, 'sent', 'renewal']],
      ['Deregistration requests sent (mnDeRegRequestsSent)', [...r, 'sent', 'deregistration']],
      ['Retransmissions', [...r, 'retransmissions']],
      [
        'Requests sent to a directed broadcast (mnRegRequestsWithDirectedBroadcast)',
        [...r, 'sentToBroadcast'],
      ],
      ['Replies received (mnRegRepliesRecieved)', [...r, 'repliesReceived']],
      ['Accepted (mnRegRequestsAccepted)', [...r, 'accepted']],
      ['Denied by home agent (mnRegRequestsDeniedByHA)', [...r, 'deniedByHomeAgent']],
      ['Denied by foreign agent (mnRegRequestsDeniedByFA)', [...r, 'deniedByForeignAgent']],
      ['Denied, issuer unknown', [...r, 'deniedOther']],
      ['Timed out', [...r, 'timeouts']],
      [
        'Discarded: invalid home address (mnRepliesInvalidHomeAddress)',
        [...r, 'discarded', 'invalid-home-address'],
      ],
      ['Discarded: unknown home agent (mnRepliesUnknownHA)', [...r, 'discarded', 'unknown-home-agent']],
      [
        'Discarded: invalid identification (mnRepliesInvalidID)',
        [...r, 'discarded', 'invalid-identification'],
      ],
      [
        'Discarded: invalid extension (mnRepliesDroppedInvalidExtension)',
        [...r, 'discarded', 'invalid-extension'],
      ],
      ['Discarded: no pending request', [...r, 'discarded', 'no-pending-request']],
    ])}
    ${table(
      ['Code', 'Reason', 'Description', 'Issuer', 'Denials'],
      codes.length === 0
        ? [
            html`<tr>
              <td colspan="5" class="muted">No denials.</td>
            </tr>`,
          ]
        : codes.map((code) => {
            const info = replyCode(code);
            return html`<tr>
              <td>${code}</td>
              <td>${info.reason}</td>
              <td>${info.description}</td>
              <td>${info.issuer}</td>
              ${stat(doc, [...r, 'deniedByCode', String(code)])}
            </tr>`;
          }),
      'Denials by reply code',
    )}
    ${group(doc, 'Movement and discovery (mnDiscoveryGroup)', [
      ['Moves home to foreign (mnMoveFromHAToFA)', ['moves', 'homeToForeign']],
      ['Moves foreign to foreign (mnMoveFromFAToFA)', ['moves', 'foreignToForeign']],
      ['Moves foreign to home (mnMoveFromFAToHA)', ['moves', 'foreignToHome']],
      ['Time resynchronisations after code 133 (mnRegRequestsDeniedByHADueToID)', ['timeSync', 'resyncs']],
      ['Solicitations sent (mnSolicitationsSent)', ['discovery', 'solicitationsSent']],
      ['Advertisements received (mnAdvertisementsReceived)', ['discovery', 'advertisementsReceived']],
      ['Agent reboots detected (mnAgentRebootsDectected)', ['discovery', 'agentRebootsDetected']],
      ['Gratuitous ARPs sent (mnGratuitousARPsSend)', ['arpsSent', 'gratuitous']],
    ])}
    ${group(
      doc,
      'Security violations at access points (mipSecViolationGroup)',
      Object.keys(doc.securityViolations).map((reason): [string, Path] => [
        reason,
        ['securityViolations', reason],
      ]),
    )}
    ${group(
      doc,
      'Mobile clients by state (mnState)',
      Object.keys(doc.mobileClientsByState).map((state): [string, Path] => [
        state,
        ['mobileClientsByState', state],
      ]),
    )}
    ${table(
      [
        'Access point',
        'Initial',
        'Re-reg.',
        'Dereg.',
        'Accepted',
        'Denied by HA',
        'Denied by FA',
        'Timeouts',
        'Resyncs',
        'Clients',
      ],
      Object.keys(doc.accessPoints).map((id) => {
        const p = ['accessPoints', id];
        return html`<tr>
          <th scope="row"><a href="/clients?access_point=${encodeURIComponent(id)}">${id}</a></th>
          ${stat(doc, [...p, ...r, 'sent', 'initial'])}${stat(doc, [...p, ...r, 'sent', 'renewal'])}${stat(doc, [...p, ...r, 'sent', 'deregistration'])}${stat(doc, [...p, ...r, 'accepted'])}${stat(doc, [...p, ...r, 'deniedByHomeAgent'])}${stat(doc, [...p, ...r, 'deniedByForeignAgent'])}${stat(doc, [...p, ...r, 'timeouts'])}${stat(doc, [...p, 'timeSync', 'resyncs'])}${stat(doc, [...p, 'mobileClients'])}
        </tr>`;
      }),
      'Per access point',
    )}
    ${table(
      [
        'Home agent',
        'Requests (initial)',
        'Re-reg.',
        'Dereg.',
        'Replies sent',
        'Accepted',
        'Denied',
        'Bindings',
        'Probe timeouts',
        'Time offset (s)',
      ],
      Object.keys(doc.homeAgents).map((id) => {
        const p = ['homeAgents', id];
        return html`<tr>
          <th scope="row">${id}</th>
          ${stat(doc, [...p, 'requestsReceived', 'initial'])}${stat(doc, [...p, 'requestsReceived', 'renewal'])}${stat(doc, [...p, 'requestsReceived', 'deregistration'])}${stat(doc, [...p, 'repliesSent'])}${stat(doc, [...p, 'accepted'])}${stat(doc, [...p, 'denied'])}${stat(doc, [...p, 'bindings', 'current'])}${stat(doc, [...p, 'probes', 'timedOut'])}${stat(doc, [...p, 'timeSync', 'lastOffsetSeconds'])}
        </tr>`;
      }),
      'Home agents (haRegistrationGroup)',
    )}
    ${table(
      [
        'Foreign agent',
        'Requests received',
        'Relayed',
        'Replies relayed',
        'Denied',
        'Poorly formed replies',
        'Visitors',
      ],
      Object.keys(doc.foreignAgents).map((id) => {
        const p = ['foreignAgents', id];
        return html`<tr>
          <th scope="row">${id}</th>
          ${stat(doc, [...p, 'requestsReceived', 'initial'])}${stat(doc, [...p, 'requestsRelayed'])}${stat(doc, [...p, 'repliesRelayed'])}${stat(doc, [...p, 'denied'])}${stat(doc, [...p, 'repliesDropped', 'poorlyFormed'])}${stat(doc, [...p, 'visitors', 'current'])}
        </tr>`;
      }),
      'Foreign agents (faRegistrationGroup)',
    )}
    ${group(doc, 'Exporter', [
      ['Events ingested', ['exporter', 'eventsIngested']],
      ['Events dropped', ['exporter', 'eventsDropped']],
      ['Events from unconfigured nodes (label "other")', ['exporter', 'eventsFolded']],
      ['Client rows tracked', ['exporter', 'clientsTracked']],
    ])}`;
  return layout('Statistics', '/statistics', body);
}
