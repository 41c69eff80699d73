/**
 * The Statistics page: the statistics document grouped as the Mobile IP MIB groups it. Every
 * number carries `data-stat`, the JSON path of the same number in /api/v1/statistics, so a test
 * can prove page and API agree (`data-format="percent"`: a ratio shown as "92.9 %"). Wherever two
 * figures differ by design, one sentence under the table says why.
 */
import { replyCode } from '../../collector/vocabulary.ts';
import type { AgentSeenStatistics, StatisticsDocument } from '../statistics.ts';
import { clockSection } from './clocks.ts';
import { influxdbSection } from './influxdb.ts';
import { agentName, formatAgo, formatRatio } from './format.ts';
import type { SafeHtml } from './html.ts';
import { html } from './html.ts';
import { layout, siteModeNote, table } from './layout.ts';

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

/** A ratio cell tied to its JSON path, shown as a percentage. */
function ratio(doc: StatisticsDocument, path: Path): SafeHtml {
  const v = valueAt(doc, path);
  return html`<td class="n" data-stat="${JSON.stringify(path)}" data-format="percent">
    ${formatRatio(typeof v === 'number' ? v : null)}
  </td>`;
}

/** A number inside a cell (several per cell), tied to its JSON path. */
function statSpan(doc: StatisticsDocument, path: Path): SafeHtml {
  const v = valueAt(doc, path);
  return html`<span data-stat="${JSON.stringify(path)}">${typeof v === 'number' ? v : '—'}</span>`;
}

function note(text: string): SafeHtml {
  return html`<p class="note muted">${text}</p>`;
}

/** The address of a hosted agent (its id) from the agents the access points see, when there. */
function addressOf(seen: Record<string, AgentSeenStatistics>, id: string): string | undefined {
  return Object.entries(seen).find(([, a]) => a.name === id)?.[0];
}

const OUTCOME_HEAD = [
  'Attempts',
  'Accepted',
  'Denied',
  'Timeouts',
  'Unauthenticated',
  'Discarded',
  'Acceptance ratio',
];

function outcomesTable(doc: StatisticsDocument): SafeHtml {
  const mn = (p: Path, label: SafeHtml | string, kind: string): SafeHtml => {
    const r = [...p, 'registrations'];
    return html`<tr data-scope="${kind}">
      <th scope="row">${label}</th>
      ${stat(doc, [...r, 'attempts'])}${stat(doc, [...r, 'outcomes', 'accepted'])}${stat(doc, [...r, 'outcomes', 'denied'])}${stat(doc, [...r, 'outcomes', 'timeout'])}${stat(doc, [...r, 'outcomes', 'unauthenticated'])}${stat(doc, [...r, 'outcomes', 'discarded'])}${ratio(doc, [...r, 'acceptanceRatio'])}
    </tr>`;
  };
  const seen = (group: 'homeAgentsSeen' | 'foreignAgentsSeen', word: string) =>
    Object.entries(doc[group]).map(([address, a]) => {
      const p = [group, address];
      return html`<tr data-scope="${group}">
        <th scope="row">${word} ${agentName(a.name, address)}</th>
        ${stat(doc, [...p, 'attempts'])}${stat(doc, [...p, 'accepted'])}${stat(doc, [...p, 'denied'])}${stat(doc, [...p, 'timeouts'])}${stat(doc, [...p, 'unauthenticated'])}${stat(doc, [...p, 'discarded'])}${ratio(doc, [...p, 'acceptanceRatio'])}
      </tr>`;
    });
  return html`${table(
    ['', ...OUTCOME_HEAD],
    [
      mn([], html`<strong>Site-wide</strong>`, 'site'),
      ...Object.keys(doc.accessPoints).map((id) =>
        mn(
          ['accessPoints', id],
          html`Access point <a href="/clients?access_point=${encodeURIComponent(id)}">${id}</a>`,
          'accessPoints',
        ),
      ),
      ...seen('homeAgentsSeen', 'Home agent'),
      ...seen('foreignAgentsSeen', 'Foreign agent'),
    ],
    'Outcomes (registration attempts, as the access points see them)',
  )}
  ${
    doc.homeAgentAuthentication.length > 0
      ? note(
          `Authentication to the home agents: ${doc.homeAgentAuthentication
            .map(
              (a) =>
                `${a.homeAgent} ${a.mode === 'per-node' ? 'proxy mode (per-node SA, extension 34)' : 'per client (Mobile-Home, extension 32)'}`,
            )
            .join('; ')}.`,
        )
      : html``
  }
  ${note(
    'An attempt is one registration request with its retransmissions, counted once when it ends, in exactly one outcome; the Registration table below counts every transmission and every reply instead.',
  )}
  ${note(
    'The home and foreign agent rows need not add up to the site-wide row: an attempt that ended before a home agent was chosen (no subnet map row, no security association) counts for no agent, and an attempt sent straight to its home agent counts for no foreign agent.',
  )}
  ${note(
    'Unauthenticated: attempts whose replies all failed authentication at the access point (wrong SPI or key), so that nothing they claim could be believed; they are not denials, and the codes they claim are listed apart under Denials by reply code.',
  )}`;
}

function denialsTable(doc: StatisticsDocument): SafeHtml {
  const r = ['registrations'];
  const hostedHa = Object.entries(doc.homeAgents).filter(([, h]) => Object.keys(h.deniedByCode).length > 0);
  const hostedFa = Object.entries(doc.foreignAgents).filter(
    ([, f]) => Object.keys(f.deniedByCode).length > 0,
  );
  const hosts = Object.keys(doc.homeAgents).length > 0 || Object.keys(doc.foreignAgents).length > 0;
  const codes = new Set<number>(Object.keys(doc.registrations.deniedByCode).map(Number));
  for (const a of Object.values(doc.homeAgentsSeen))
    for (const c of Object.keys(a.unauthenticatedByClaimedCode)) codes.add(Number(c));
  for (const [, h] of hostedHa) for (const c of Object.keys(h.deniedByCode)) codes.add(Number(c));
  for (const [, f] of hostedFa) for (const c of Object.keys(f.deniedByCode)) codes.add(Number(c));
  const sorted = [...codes].sort((a, b) => a - b);
  const list = (items: SafeHtml[]) => (items.length === 0 ? html`—` : html`${items}`);
  const head = [
    'Code',
    'Reason',
    'Description',
    'Issuer',
    'Denials received by access points (verified)',
    'Claimed by replies that failed authentication (not verified)',
    ...(hosts ? ["Hosted home agents' own denials", "Hosted foreign agents' own denials"] : []),
  ];
  const rows =
    sorted.length === 0
      ? [
          html`<tr>
            <td colspan="${head.length}" class="muted">No denials.</td>
          </tr>`,
        ]
      : sorted.map((code) => {
          const info = replyCode(code);
          const k = String(code);
          const claimed = Object.entries(doc.homeAgentsSeen)
            .filter(([, a]) => a.unauthenticatedByClaimedCode[k] !== undefined)
            .map(
              ([address, a]) =>
                html`<div>
                  ${statSpan(doc, ['homeAgentsSeen', address, 'unauthenticatedByClaimedCode', k])} from
                  ${agentName(a.name, address)}
                </div>`,
            );
          const own = (
            entries: Array<[string, { deniedByCode: Record<string, number> }]>,
            group: 'homeAgents' | 'foreignAgents',
            seen: Record<string, AgentSeenStatistics>,
          ) =>
            entries
              .filter(([, a]) => a.deniedByCode[k] !== undefined)
              .map(
                ([id]) =>
                  html`<div>
                    ${statSpan(doc, [group, id, 'deniedByCode', k])} at ${agentName(id, addressOf(seen, id))}
                  </div>`,
              );
          return html`<tr data-code="${code}">
            <td>${code}</td>
            <td>${info.reason}</td>
            <td>${info.description}</td>
            <td>${info.issuer}</td>
            ${
              doc.registrations.deniedByCode[k] === undefined
                ? html`<td class="n muted">—</td>`
                : stat(doc, [...r, 'deniedByCode', k])
            }
            <td>${list(claimed)}</td>
            ${
              hosts
                ? html`<td>${list(own(hostedHa, 'homeAgents', doc.homeAgentsSeen))}</td>
                    <td>${list(own(hostedFa, 'foreignAgents', doc.foreignAgentsSeen))}</td>`
                : ''
            }
          </tr>`;
        });
  return html`${table(head, rows, 'Denials by reply code')}
  ${note(
    "Denied by home agent counts verified denials received by access points; the home agent's own count also includes denials whose reply failed authentication at the access point (wrong key): see Unauthenticated.",
  )}
  ${note(
    'A claimed code is what a reply that failed authentication says; it is counted per home agent and never as a denial. 131 (ha_mn_failed_authentication) claimed by a home agent usually means that the access point and the home agent hold different keys (or SPIs) for the client.',
  )}`;
}

function agentsSeenTable(doc: StatisticsDocument, now: number): SafeHtml {
  // Observed sites: the agents' advertisements to the link and the restarts they showed (no access
  // point received those; docs/observe.md).
  const observed = doc.mode === 'observed';
  const rows = (['homeAgentsSeen', 'foreignAgentsSeen'] as const).flatMap((group) =>
    Object.entries(doc[group]).map(([address, a]) => {
      const p = [group, address];
      return html`<tr>
        <th scope="row">
          ${group === 'homeAgentsSeen' ? 'Home agent' : 'Foreign agent'} ${agentName(a.name, address)}
        </th>
        ${stat(doc, [...p, 'requestsSent'])}${stat(doc, [...p, 'repliesReceived'])}
        <td class="n" title="${a.lastReplyAt ?? ''}">
          ${formatAgo(a.lastReplyAt === null ? null : Date.parse(a.lastReplyAt), now)}
        </td>
        ${stat(doc, [...p, 'roundTripSeconds', 'p50'])}${stat(doc, [...p, 'roundTripSeconds', 'p90'])}
        ${
          observed
            ? html`${stat(doc, [...p, 'link', 'advertisements'])}${stat(doc, [...p, 'link', 'rebootsDetected'])}`
            : ''
        }
      </tr>`;
    }),
  );
  const headers = [
    'Agent',
    'Requests sent',
    'Replies received',
    'Last reply',
    'Round trip p50 (s)',
    'Round trip p90 (s)',
  ];
  if (observed) headers.push('Advertisements to the link', 'Restarts seen on the link');
  return html`${table(
    headers,
    rows.length > 0
      ? rows
      : [
          html`<tr>
            <td colspan="${String(headers.length)}" class="muted">No agent seen yet.</td>
          </tr>`,
        ],
    'Agents as the access points see them',
  )}
  ${note(
    'Requests sent counts transmissions (retransmissions included); replies received counts verified replies only, and the last reply also counts one that failed authentication (the agent answered).',
  )}
  ${
    observed
      ? note(
          'Advertisements to the link went to a broadcast or multicast address: counted for the agent that sent them, not for an access point. Unicast advertisements count at the access point they were sent to (Movement and discovery).',
        )
      : ''
  }`;
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
  const now = Date.parse(doc.generatedAt);
  const hostedName = (group: 'homeAgents' | 'foreignAgents', id: string) =>
    agentName(id, addressOf(group === 'homeAgents' ? doc.homeAgentsSeen : doc.foreignAgentsSeen, id));
  const body = html`${siteModeNote(doc.mode)}
    <p class="muted">
      Totals over all access points at ${doc.generatedAt}. The same numbers:
      <a href="/api/v1/statistics">/api/v1/statistics</a>.
    </p>
    ${outcomesTable(doc)}
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
    ${note(
      'Timed out counts attempts with no reply after the last retransmission; attempts whose only replies failed authentication are Unauthenticated (Outcomes), not timeouts. Discarded here counts replies dropped as invalid, not attempts: attempts that ended discarded are counted by reason below.',
    )}
    ${denialsTable(doc)}
    ${group(
      doc,
      'Discarded attempts, by reason',
      Object.keys(doc.discardedAttempts).map((reason): [string, Path] => [
        reason,
        ['discardedAttempts', reason],
      ]),
    )}
    ${agentsSeenTable(doc, now)}
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
          <th scope="row">${hostedName('homeAgents', id)}</th>
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
          <th scope="row">${hostedName('foreignAgents', id)}</th>
          ${stat(doc, [...p, 'requestsReceived', 'initial'])}${stat(doc, [...p, 'requestsRelayed'])}${stat(doc, [...p, 'repliesRelayed'])}${stat(doc, [...p, 'denied'])}${stat(doc, [...p, 'repliesDropped', 'poorlyFormed'])}${stat(doc, [...p, 'visitors', 'current'])}
        </tr>`;
      }),
      'Foreign agents (faRegistrationGroup)',
    )}
    ${
      Object.keys(doc.homeAgents).length > 0 || Object.keys(doc.foreignAgents).length > 0
        ? note(
            "The two tables above are the hosted agents' own counts, as they handled requests; the Outcomes table is the access points' view of the same agents, so it misses requests that never arrived and replies that never came back, and counts a reply that failed authentication as Unauthenticated, not as the denial the agent sent.",
          )
        : note(
            'This process hosts no home or foreign agent, so the two tables above are empty: the Outcomes table shows the agents as the access points see them.',
          )
    }
    <h2>Clocks</h2>
    ${clockSection(doc.timeOffsets, now)}
    ${
      Object.keys(doc.homeAgents).length > 0
        ? note(
            "A hosted home agent's time offset (Home agents table) is the last one any access point learnt with it; the clock offsets above list each access point apart.",
          )
        : ''
    }
    ${group(doc, 'Exporter', [
      ['Events ingested', ['exporter', 'eventsIngested']],
      ['Events dropped', ['exporter', 'eventsDropped']],
      ['Events from unconfigured nodes (label "other")', ['exporter', 'eventsFolded']],
      ['Client rows tracked', ['exporter', 'clientsTracked']],
    ])}
    ${doc.influxdb ? influxdbSection(doc.influxdb) : ''}`;
  return layout('Statistics', '/statistics', body);
}
