/**
 * The Mobile Clients page: live rows with a search box, filters (access point, state, home agent,
 * last outcome), sortable column headers (links) and paging, all plain GET forms and links on
 * the query parameters of /api/v1/clients. The last outcome is the collector's sentence.
 */
import type { ClientView } from '../../collector/clients.ts';
import { CLIENT_STATES } from '../../collector/clients.ts';
import { replyCode } from '../../collector/vocabulary.ts';
import { CLIENT_OUTCOME_FILTERS } from '../api.ts';
import type { ClientFilterView, ClientPage, ClientSortKey, KnownHomeAgent } from '../api.ts';
import type { SafeHtml } from './html.ts';
import { html, raw } from './html.ts';
import { agentName, formatAgo, formatClock, formatSpan } from './format.ts';
import { formatDuration, formatTime, layout, table } from './layout.ts';

export const CLIENTS_PAGE_LIMIT = 100;

export interface ClientsPageInput {
  page: ClientPage & { filter: ClientFilterView };
  accessPoints: readonly string[];
  homeAgents: readonly KnownHomeAgent[];
  /** ms since epoch, for "12 s ago". */
  now: number;
  /** The page size when `limit` is not given. */
  defaultLimit?: number;
}

/** In the order shown: what a failure needs (who, where, what happened) before the details. */
const COLUMNS: ReadonlyArray<[ClientSortKey, string]> = [
  ['mac', 'MAC'],
  ['address', 'Address'],
  ['nai', 'NAI'],
  ['access_point', 'Access point'],
  ['state', 'State'],
  ['last_outcome', 'Last outcome'],
  ['home_agent', 'Home agent'],
  ['care_of_address', 'Care-of address'],
  ['lifetime_left', 'Lifetime left'],
  ['ssid', 'SSID'],
  ['last_seen', 'Last seen'],
];

const OUTCOME_LABELS: Record<(typeof CLIENT_OUTCOME_FILTERS)[number], string> = {
  accepted: 'accepted',
  denied: 'denied',
  timeout: 'timeout (no reply)',
  unauthenticated: 'reply failed authentication',
  discarded: 'discarded',
  none: 'no attempt concluded yet',
};

interface PageState {
  filter: ClientFilterView;
  sort: ClientSortKey;
  order: 'asc' | 'desc';
  limit: number;
  offset: number;
  defaultLimit: number;
}

/** /clients?... for this state with some parameters changed; defaults are left out. */
function href(s: PageState, change: Partial<Omit<PageState, 'filter' | 'defaultLimit'>>): string {
  const next = { ...s, ...change };
  const p = new URLSearchParams();
  if (s.filter.q) p.set('q', s.filter.q);
  if (s.filter.accessPoint) p.set('access_point', s.filter.accessPoint);
  if (s.filter.state) p.set('state', s.filter.state);
  if (s.filter.homeAgent) p.set('home_agent', s.filter.homeAgent);
  if (s.filter.outcome) p.set('outcome', s.filter.outcome);
  if (next.sort !== 'mac' || next.order !== 'asc') p.set('sort', next.sort);
  if (next.order !== 'asc') p.set('order', next.order);
  if (next.limit !== s.defaultLimit) p.set('limit', String(next.limit));
  if (next.offset > 0) p.set('offset', String(next.offset));
  const q = p.toString();
  return q === '' ? '/clients' : `/clients?${q}`;
}

function sortHeader(s: PageState, key: ClientSortKey, label: string): SafeHtml {
  const active = s.sort === key;
  const order = active && s.order === 'asc' ? 'desc' : 'asc';
  const arrow = active ? (s.order === 'asc' ? ' ▲' : ' ▼') : '';
  const aria = active ? (s.order === 'asc' ? 'ascending' : 'descending') : 'none';
  const title = `sort by ${label.toLowerCase()}, ${order === 'asc' ? 'ascending' : 'descending'}`;
  return html`<th scope="col" aria-sort="${aria}" data-sort-key="${key}">
    <a class="sort" href="${href(s, { sort: key, order, offset: 0 })}" title="${title}">${label}${arrow}</a>
  </th>`;
}

function option(value: string, current: string | undefined, text = value): SafeHtml {
  return html`<option value="${value}" ${value === (current ?? '') ? raw(' selected') : ''}>${text}</option>`;
}

const BAD_OUTCOMES = new Set(['denied', 'timeout', 'unauthenticated', 'discarded']);

function lastOutcomeCell(c: ClientView, now: number): SafeHtml {
  const parts: SafeHtml[] = [];
  if (c.attemptStartedAt !== null)
    parts.push(
      html`<div class="registering">
        ${`registering since ${formatClock(c.attemptStartedAt)} (${formatSpan(Math.max(0, (now - c.attemptStartedAt) / 1000))})`}
      </div>`,
    );
  const o = c.lastOutcome;
  if (o !== null) {
    parts.push(
      html`<div
        class="${BAD_OUTCOMES.has(o.kind) ? 'bad' : o.kind === 'accepted' ? 'good' : ''}"
        data-outcome="${o.kind}"
        title="${new Date(o.at).toISOString()}"
      >
        ${o.text} <span class="muted">· ${formatAgo(o.at, now)}</span>
      </div>`,
    );
  } else if (c.lastCode !== null) {
    const code = replyCode(c.lastCode);
    parts.push(
      html`<div data-outcome="none" title="${code.description}">
        last reply: ${code.code} ${code.reason}
      </div>`,
    );
  }
  return parts.length > 0 ? html`${parts}` : html`—`;
}

export function clientsPage(input: ClientsPageInput): string {
  const { page, accessPoints, homeAgents, now } = input;
  const { filter, total, offset, limit, sort, order } = page;
  const rows = page.clients;
  const s: PageState = {
    filter,
    sort,
    order,
    limit,
    offset,
    defaultLimit: input.defaultLimit ?? CLIENTS_PAGE_LIMIT,
  };
  const hidden = (name: string, value: string | undefined) =>
    value ? html`<input type="hidden" name="${name}" value="${value}" />` : '';
  const filtered = Boolean(
    filter.q || filter.accessPoint || filter.state || filter.homeAgent || filter.outcome,
  );
  const first = rows.length === 0 ? 0 : offset + 1;
  const last = offset + rows.length;
  const previous = offset > 0 ? href(s, { offset: Math.max(0, offset - limit) }) : undefined;
  const next = last < total ? href(s, { offset: offset + limit }) : undefined;
  const pager = (top: boolean) =>
    html`<nav class="pager" aria-label="pages of clients">
      ${
        previous
          ? html`<a href="${previous}" rel="prev" ${top ? raw('id="page-previous"') : ''}>← Previous</a>`
          : html`<span class="muted">← Previous</span>`
      }
      <span ${top ? raw('id="rows-range"') : ''}>rows ${first}–${last} of ${total}</span>
      ${
        next
          ? html`<a href="${next}" rel="next" ${top ? raw('id="page-next"') : ''}>Next →</a>`
          : html`<span class="muted">Next →</span>`
      }
    </nav>`;

  const body = html` <form class="filters" method="get" action="/clients" role="search">
      <label
        >Search MAC, address or NAI
        <input
          type="search"
          name="q"
          value="${filter.q ?? ''}"
          maxlength="100"
          placeholder="e.g. 02:00:00 or 10.1.2"
        />
      </label>
      <label
        >Access point
        <select name="access_point">
          ${option('', filter.accessPoint, 'all')}${accessPoints.map((ap) => option(ap, filter.accessPoint))}
        </select></label
      >
      <label
        >State
        <select name="state">
          ${option('', filter.state, 'all')}${CLIENT_STATES.map((st) => option(st, filter.state))}
        </select></label
      >
      <label
        >Home agent
        <select name="home_agent">
          ${option('', filter.homeAgent, 'all')}${homeAgents.map((h) =>
            option(
              h.name,
              filter.homeAgent === h.address ? h.name : filter.homeAgent,
              agentName(h.name, h.address),
            ),
          )}
        </select></label
      >
      <label
        >Last outcome
        <select name="outcome">
          ${option('', filter.outcome, 'all')}${CLIENT_OUTCOME_FILTERS.map((k) =>
            option(k, filter.outcome, OUTCOME_LABELS[k]),
          )}
        </select></label
      >
      ${sort !== 'mac' || order !== 'asc' ? hidden('sort', sort) : ''}
      ${order !== 'asc' ? hidden('order', order) : ''}
      ${limit !== s.defaultLimit ? hidden('limit', String(limit)) : ''}
      <button type="submit">Apply</button>
      ${filtered ? html`<a href="/clients">Clear</a>` : ''}
    </form>
    <p class="muted" id="client-count">
      Showing ${rows.length} of ${total} clients.
      ${total > 0 ? html`Sorted by ${COLUMNS.find(([k]) => k === sort)![1]}, ${order === 'asc' ? 'ascending' : 'descending'}.` : ''}
      Same rows as JSON: <a href="${href(s, {}).replace('/clients', '/api/v1/clients')}">/api/v1/clients</a>.
    </p>
    ${pager(true)}
    ${table(
      COLUMNS.map(([key, label]) => sortHeader(s, key, label)),
      rows.length === 0
        ? [
            html`<tr>
              <td colspan="${COLUMNS.length}" class="muted">No client matches.</td>
            </tr>`,
          ]
        : rows.map(
            (c) =>
              html`<tr data-mac="${c.mac}" data-state="${c.state}">
                <td class="nowrap">${c.mac}</td>
                <td>${c.address}</td>
                <td>${c.nai ?? '—'}</td>
                <td>${c.accessPoint}</td>
                <td class="${c.state === 'isolated' ? 'bad' : c.state === 'registered' ? 'good' : ''}">
                  ${c.state}
                </td>
                <td class="outcome">${lastOutcomeCell(c, now)}</td>
                <td class="nowrap">
                  ${c.homeAgent === null ? '—' : agentName(c.homeAgentName, c.homeAgent)}
                </td>
                <td>${c.careOfAddress ?? '—'}</td>
                <td class="nowrap">${formatDuration(c.lifetimeLeftSeconds)}</td>
                <td>${c.ssid}</td>
                <td class="nowrap" title="${formatTime(c.lastSeen)}">${formatAgo(c.lastSeen, now)}</td>
              </tr>`,
          ),
    )}
    ${total > rows.length ? pager(false) : ''}`;
  return layout('Mobile Clients', '/clients', body, { wide: true });
}
