/**
 * The landing page, a health overview: one headline naming every failing device and the cause,
 * then home agents, foreign agents and access points with their status (collector.health(), rules
 * in src/collector/health.ts), worst first; outcomes per minute and the round-trip distribution
 * over the last hour; clock offsets; links to every page, the metrics and the API.
 */
import type { AgentRestartRow, HealthReport, NodeHealthRow } from '../../collector/collector.ts';
import type { RegistrationOutcomeKind } from '../../collector/vocabulary.ts';
import { replyCode } from '../../collector/vocabulary.ts';
import type { StatisticsDocument } from '../statistics.ts';
import { outcomesChart, roundTripChart } from './charts.ts';
import { clockFindings, clockSection } from './clocks.ts';
import type { SafeHtml } from './html.ts';
import { html } from './html.ts';
import { agentName, formatAgo, formatRatio, formatSpan, statusBadge, statusRank } from './format.ts';
import { NAV, layout, siteModeNote, table } from './layout.ts';

export const API_ENDPOINTS: readonly string[] = [
  '/api/v1/health',
  '/api/v1/statistics',
  '/api/v1/clients',
  '/api/v1/subnet-map',
  '/api/v1/security-associations',
  '/api/v1/aaps',
  '/api/v1/bindings',
  '/api/v1/visitors',
];

export interface OverviewInput {
  health: HealthReport;
  statistics: StatisticsDocument;
  /** Reload every this many seconds (`/?refresh=`); none by default. */
  refreshSeconds?: number | undefined;
}

type Kind = 'home-agent' | 'foreign-agent' | 'access-point';

const KIND_WORDS: Record<Kind, [string, string]> = {
  'home-agent': ['Home agent', 'home agents'],
  'foreign-agent': ['Foreign agent', 'foreign agents'],
  'access-point': ['Access point', 'access points'],
};

/**
 * Worst first: status; then a device that does not answer at all (timeouts the most frequent
 * failure: every client of it fails) before one that answers wrongly; then the lower acceptance,
 * more attempts, the name.
 */
function worstFirst(rows: readonly NodeHealthRow[]): NodeHealthRow[] {
  const silent = (r: NodeHealthRow) => (dominantFailure(r) === 'timeout' ? 0 : 1);
  return [...rows].sort(
    (a, b) =>
      statusRank(a.status) - statusRank(b.status) ||
      silent(a) - silent(b) ||
      (a.acceptanceRatio ?? 2) - (b.acceptanceRatio ?? 2) ||
      b.attempts - a.attempts ||
      a.name.localeCompare(b.name),
  );
}

const FAILURES: ReadonlyArray<Exclude<RegistrationOutcomeKind, 'accepted'>> = [
  'timeout',
  'unauthenticated',
  'denied',
  'discarded',
];

/** The most frequent failure of the window. */
function dominantFailure(r: NodeHealthRow): Exclude<RegistrationOutcomeKind, 'accepted'> | undefined {
  let best: Exclude<RegistrationOutcomeKind, 'accepted'> | undefined;
  for (const k of FAILURES)
    if (r.outcomes[k] > 0 && (best === undefined || r.outcomes[k] > r.outcomes[best])) best = k;
  return best;
}

function topCode(codes: Record<string, number> | undefined): string | undefined {
  if (!codes) return undefined;
  const top = Object.entries(codes).sort((a, b) => b[1] - a[1])[0];
  if (!top) return undefined;
  return `${top[0]} ${replyCode(Number(top[0])).reason}`;
}

function windowWords(seconds: number): string {
  return seconds > 0 ? `in the last ${formatSpan(seconds)}` : 'so far';
}

/** What to look at next, from the dominant failure and the document's codes. */
function hint(kind: Kind, r: NodeHealthRow, doc: StatisticsDocument, now: number): string {
  const f = dominantFailure(r);
  const seen =
    kind === 'home-agent'
      ? doc.homeAgentsSeen[r.address]
      : kind === 'foreign-agent'
        ? doc.foreignAgentsSeen[r.address]
        : undefined;
  const deniedCodes =
    kind === 'access-point' ? doc.accessPoints[r.name]?.registrations.deniedByCode : seen?.deniedByCode;
  switch (f) {
    case 'timeout':
      if (kind === 'access-point') return 'its requests get no reply';
      return r.lastReplyAt === null
        ? 'no reply yet: is it running and reachable?'
        : `last reply ${formatAgo(r.lastReplyAt, now)}: is it running and reachable?`;
    case 'unauthenticated': {
      const claimed = topCode(seen?.unauthenticatedByClaimedCode);
      return `${claimed ? `replies claim ${claimed} but ` : 'replies '}fail authentication: check the SPI and key`;
    }
    case 'denied': {
      const code = topCode(deniedCodes);
      return code ? `most frequent denial so far: ${code}` : 'see the denial codes on the Statistics page';
    }
    case 'discarded':
      return 'see the last outcome of its clients on the Mobile Clients page';
    default:
      return '';
  }
}

function clientsLink(kind: Kind, r: NodeHealthRow): string | undefined {
  const f = dominantFailure(r);
  const outcome = f ? `&outcome=${f}` : '';
  if (kind === 'home-agent') return `/clients?home_agent=${encodeURIComponent(r.name)}${outcome}`;
  if (kind === 'access-point') return `/clients?access_point=${encodeURIComponent(r.name)}${outcome}`;
  return undefined;
}

const MAX_HEADLINE_PER_KIND = 4;

/** "a", "a and b", "a, b and c". */
function joinWords(items: readonly string[]): string {
  return items.length <= 1
    ? (items[0] ?? '')
    : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** Ends with a full stop unless it ends with a question mark already. */
function sentence(text: string): string {
  return /[.?!]$/.test(text) ? text : `${text}.`;
}

/**
 * How far a foreign agent's or access point's failures are from a failing home agent's: null
 * unless they are of the same kinds, in the same window, and no more of them than the home
 * agent's (then most likely the same attempts, counted at each hop); else the count difference.
 */
function failureDistance(x: NodeHealthRow, ha: NodeHealthRow, okRatio: number): number | null {
  if (x.windowSeconds !== ha.windowSeconds) return null;
  let distance = 0;
  let any = false;
  let sameKinds = true;
  for (const k of FAILURES) {
    if (x.outcomes[k] > 0 !== ha.outcomes[k] > 0 || x.outcomes[k] > ha.outcomes[k]) sameKinds = false;
    any ||= x.outcomes[k] > 0;
    distance += Math.abs(ha.outcomes[k] - x.outcomes[k]);
  }
  if (!any) return null;
  if (sameKinds) return distance;
  // A home agent that does not answer makes every hop on the way time out too: a foreign agent
  // or access point whose timeouts it can account for, and which is healthy apart from them (the
  // rest of its failures are the site's usual background, e.g. a wrong-key client), is explained
  // by it. Ranked after the exact matches.
  const t = x.outcomes.timeout;
  if (t === 0 || ha.outcomes.timeout < t) return null;
  const rest = x.attempts - t;
  if (rest > 0 && x.outcomes.accepted / rest < okRatio) return null;
  return 1_000_000 + distance;
}

const LOST: Record<NonNullable<AgentRestartRow['role']>, string> = {
  'home-agent': 'it lost its bindings',
  'foreign-agent': 'it lost its visitor list',
};

/** "Foreign agent fa-2 (10.1.0.2) restarted 2 min ago (...): it lost its visitor list; ..." */
function restartSentence(r: AgentRestartRow, now: number): string {
  const who = `${r.role === 'home-agent' ? 'Home agent' : r.role === 'foreign-agent' ? 'Foreign agent' : 'Agent'} ${agentName(r.name, r.agent)}`;
  const aps = r.seenBy.filter((x) => x !== 'link');
  const where = [
    ...(aps.length < r.seenBy.length ? ['on the link'] : []),
    ...(aps.length > 0 ? [`at access point${aps.length > 1 ? 's' : ''} ${joinWords(aps)}`] : []),
  ].join(' and ');
  const times = r.count > 1 ? `; ${r.count} restarts of it seen` : '';
  const lost = r.role ? LOST[r.role] : 'its registrations are lost';
  return `${who} restarted ${formatAgo(r.time, now)} (its advertisements' sequence number fell from ${r.previousSequence} to ${r.sequence} ${where}${times}): ${lost}, so its clients must register again.`;
}

function headline(input: OverviewInput): SafeHtml {
  const { health, statistics: doc } = input;
  const now = health.time;
  const failingOf = (rows: readonly NodeHealthRow[]) =>
    worstFirst(rows).filter((r) => r.status === 'down' || r.status === 'degraded');
  const groups: Array<[Kind, NodeHealthRow[]]> = [
    ['home-agent', failingOf(health.homeAgents)],
    ['foreign-agent', failingOf(health.foreignAgents)],
    ['access-point', failingOf(health.accessPoints)],
  ];
  // Foreign agents and access points that fail the same way as a home agent shown in the
  // headline go on that home agent's line instead of a line of their own.
  const shownHomeAgents = groups[0]![1].slice(0, MAX_HEADLINE_PER_KIND);
  const followers = new Map<NodeHealthRow, string[]>();
  const folded = new Set<NodeHealthRow>();
  for (const [kind, rows] of groups.slice(1))
    for (const x of rows) {
      let ha: NodeHealthRow | undefined;
      let best = Infinity;
      for (const h of shownHomeAgents) {
        const d = failureDistance(x, h, health.rules.okRatio);
        if (d !== null && d < best) [ha, best] = [h, d];
      }
      if (!ha) continue;
      folded.add(x);
      followers.set(ha, [
        ...(followers.get(ha) ?? []),
        `${KIND_WORDS[kind][0].toLowerCase()} ${agentName(x.name, x.address)}`,
      ]);
    }
  const lines: SafeHtml[] = [];
  const counts: string[] = [];
  let failing = 0;
  for (const [kind, all] of groups) {
    failing += all.length;
    if (all.length > 0)
      counts.push(
        `${all.length} ${all.length === 1 ? KIND_WORDS[kind][0].toLowerCase() : KIND_WORDS[kind][1]}`,
      );
    const rows = all.filter((r) => !folded.has(r));
    rows.slice(0, MAX_HEADLINE_PER_KIND).forEach((r) => {
      const who = `${KIND_WORDS[kind][0]} ${agentName(r.name, r.address)}`;
      const state =
        r.status === 'down' ? 'is down' : `is degraded (${formatRatio(r.acceptanceRatio)} accepted)`;
      const cause = `${r.failures.join(', ')} ${windowWords(r.windowSeconds)}`;
      const next = hint(kind, r, doc, now);
      const link = clientsLink(kind, r);
      const also = followers.get(r);
      lines.push(
        html`<li class="line-${r.status}" data-kind="${kind}" data-name="${r.name}" data-status="${r.status}">
          ${statusBadge(r.status)} <strong>${who} ${state}</strong>:
          ${sentence(`${cause}${next ? `; ${next}` : ''}`)}
          ${link ? html`<a href="${link}">Its clients</a>` : ''}
          ${also ? html`<br /><span class="muted">The same failures show at ${joinWords(also)}.</span>` : ''}
        </li>`,
      );
    });
    if (rows.length > MAX_HEADLINE_PER_KIND)
      lines.push(
        html`<li>
          …and ${rows.length - MAX_HEADLINE_PER_KIND} more ${KIND_WORDS[kind][1]} down or degraded (below).
        </li>`,
      );
  }
  for (const f of clockFindings(doc.timeOffsets)) lines.push(html`<li class="line-clock">${f.text}</li>`);
  const restarts = health.agentRestarts;
  restarts
    .slice(0, MAX_HEADLINE_PER_KIND)
    .forEach((r) =>
      lines.push(html`<li class="line-restart" data-agent="${r.agent}">${restartSentence(r, now)}</li>`),
    );
  if (restarts.length > MAX_HEADLINE_PER_KIND)
    lines.push(html`<li>…and ${restarts.length - MAX_HEADLINE_PER_KIND} more agents restarted.</li>`);
  const all = [...health.homeAgents, ...health.foreignAgents, ...health.accessPoints];
  const idle = all.filter((r) => r.status === 'idle').length;
  const ok = all.filter((r) => r.status === 'ok').length;
  const fallback = formatSpan(health.rules.fallbackWindowSeconds);
  const status =
    failing === 0
      ? all.length === idle
        ? `No registration attempt concluded in the last ${fallback}: every device is idle.`
        : `Every device with recent attempts is ok (${ok} ok, ${idle} idle).`
      : `${failing} ${failing === 1 ? 'device is' : 'devices are'} down or degraded (${joinWords(counts)}); ${ok} ok, ${idle} idle.`;
  const summary =
    restarts.length === 0
      ? status
      : `${status} ${restarts.length === 1 ? 'An agent' : `${restarts.length} agents`} restarted in the last ${fallback}.`;
  return html`<section
    id="headline"
    class="${failing > 0 || restarts.length > 0 ? 'headline bad-news' : 'headline good-news'}"
    role="status"
  >
    <p id="headline-summary">${summary}</p>
    ${
      lines.length > 0
        ? html`<ul id="headline-lines">
            ${lines}
          </ul>`
        : ''
    }
  </section>`;
}

function nodeTable(kind: Kind, rows: readonly NodeHealthRow[], now: number): SafeHtml {
  const agent = kind !== 'access-point';
  const head = [
    'Status',
    KIND_WORDS[kind][0],
    'Accepted',
    'Attempts',
    'Window',
    ...(agent ? ['Last reply'] : []),
    'Top failure reasons',
  ];
  const body = worstFirst(rows).map((r) => {
    const link = clientsLink(kind, r);
    const name = agentName(r.name, r.address);
    return html`<tr
      data-kind="${kind}"
      data-name="${r.name}"
      data-address="${r.address}"
      data-status="${r.status}"
    >
      <td>${statusBadge(r.status)}</td>
      <th scope="row" class="nowrap">
        ${link ? html`<a href="${link.replace(/&outcome=.*$/, '')}">${name}</a>` : name}
      </th>
      <td class="n">${formatRatio(r.acceptanceRatio)}</td>
      <td class="n">${r.attempts}</td>
      <td class="n">${r.windowSeconds > 0 ? formatSpan(r.windowSeconds) : '—'}</td>
      ${agent ? html`<td class="n">${formatAgo(r.lastReplyAt, now)}</td>` : ''}
      <td>${r.failures.length > 0 ? r.failures.join('; ') : '—'}</td>
    </tr>`;
  });
  return table(
    head,
    body.length > 0
      ? body
      : [
          html`<tr>
            <td colspan="${head.length}" class="muted">None configured or seen.</td>
          </tr>`,
        ],
    kind === 'access-point' ? 'Access points' : `${KIND_WORDS[kind][0]}s (as the access points see them)`,
  );
}

export function landingPage(input: OverviewInput): string {
  const { health, statistics: doc } = input;
  const now = health.time;
  const body = html`${siteModeNote(doc.mode)}${headline(input)}
    <p class="muted">
      Status from the attempts that concluded in the last ${formatSpan(health.rules.windowSeconds)} (the last
      ${formatSpan(health.rules.fallbackWindowSeconds)} when there were none): <b>down</b> none accepted and
      some got no reply at all, <b>degraded</b> under ${Math.round(health.rules.okRatio * 100)} % accepted,
      <b>ok</b> at least ${Math.round(health.rules.okRatio * 100)} %, <b>idle</b> no attempt. As the access
      points see it, at ${new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z')}.
      ${
        input.refreshSeconds
          ? html`Reloads every ${input.refreshSeconds} s (<a href="/">stop</a>).`
          : html`<a href="/?refresh=15">Reload every 15 s</a>.`
      }
    </p>
    ${nodeTable('home-agent', health.homeAgents, now)}
    ${nodeTable('foreign-agent', health.foreignAgents, now)}
    ${nodeTable('access-point', health.accessPoints, now)}
    <h2>Last hour</h2>
    <div class="charts">
      ${outcomesChart(health.outcomesPerMinute)} ${roundTripChart(health.roundTripLastHour)}
    </div>
    <h2>Clocks</h2>
    ${clockSection(doc.timeOffsets, now)}
    <h2>Pages</h2>
    <ul>
      ${NAV.filter(([href]) => href !== '/').map(
        ([href, name]) =>
          html`<li>
            <a href="${href}">${name}</a>${href === '/metrics' ? ' (Prometheus text format)' : ''}
          </li>`,
      )}
    </ul>
    <h2>JSON API</h2>
    <ul>
      ${API_ENDPOINTS.map((href) => html`<li><a href="${href}">${href}</a></li>`)}
    </ul>
    <h2>Health endpoints</h2>
    <ul>
      <li><a href="/-/healthy">/-/healthy</a></li>
      <li><a href="/-/ready">/-/ready</a></li>
    </ul>`;
  return layout('Overview', '/', body, { refreshSeconds: input.refreshSeconds });
}
