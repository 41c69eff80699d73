/**
 * The health overview, /api/v1/health, the Mobile Clients query (search, sort, order, filters,
 * paging) and the clock sentences, on a collector fed with events and a clock of the test's own:
 * a home agent that never answers is named down with its cause; an access point off with both
 * home agents is the one whose clock is off; bad parameters get 400 naming the parameter.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Collector } from '../../src/collector/collector.ts';
import { startExporterServer } from '../../src/exporters/http-server.ts';
import type { ExporterServer } from '../../src/exporters/http-server.ts';
import { clockFindings } from '../../src/exporters/pages/clocks.ts';
import { healthDocument } from '../../src/exporters/api.ts';
import { landingPage } from '../../src/exporters/pages/landing.ts';
import { statisticsDocument } from '../../src/exporters/statistics.ts';
import type { OffsetEntry } from '../../src/exporters/pages/clocks.ts';
import { agentName, formatOffset } from '../../src/exporters/pages/format.ts';
import type { PmipEvent, RegistrationOutcomeKind } from '../../src/pmip/events.ts';

const T0 = Date.UTC(2026, 0, 1, 8, 0, 0);
const HA1 = '127.101.0.1';
const HA2 = '127.102.0.1';
const FA1 = '127.111.0.2';

let now = T0;

function build(): { collector: Collector; events: PmipEvent[] } {
  const collector = new Collector({
    accessPoints: ['ap-1', 'ap-2'],
    homeAgents: [
      { id: 'ha-1', address: HA1 },
      { id: 'ha-2', address: HA2 },
    ],
    foreignAgents: [{ id: 'fa-1', address: FA1 }],
    clock: () => now,
  });
  const events: PmipEvent[] = [];
  const t = T0 + 50_000;
  const ap = (node: string) => ({ node, nodeKind: 'access-point' as const });
  const client = (i: number) => ({
    mac: `02:00:00:00:0${Math.floor(i / 10)}:${String(i % 10).padStart(2, '0')}`,
    address: `10.0.${i % 2}.${100 - i}`,
  });
  const outcome = (
    node: string,
    i: number,
    kind: RegistrationOutcomeKind,
    homeAgent: string,
    extra: Record<string, unknown> = {},
  ) =>
    ({
      type: 'registration-outcome',
      time: t + i,
      ...ap(node),
      client: client(i),
      kind: 'initial',
      outcome: kind,
      homeAgent,
      transmissions: kind === 'timeout' ? 4 : 1,
      ...extra,
    }) as PmipEvent;
  // Clients 0-5 on ap-1 with ha-1 through fa-1: accepted; 6-9 on ap-2 with ha-2: no reply.
  for (let i = 0; i < 10; i++) {
    const good = i < 6;
    const node = good ? 'ap-1' : 'ap-2';
    const ha = good ? HA1 : HA2;
    const fa = good ? { foreignAgent: FA1 } : {};
    events.push({
      type: 'registration-sent',
      time: t + i,
      ...ap(node),
      client: client(i),
      kind: 'initial',
      retransmission: false,
      homeAgent: ha,
      ...fa,
      careOfAddress: good ? FA1 : '10.9.9.9',
      lifetime: 600,
      toBroadcast: false,
    });
    if (good)
      events.push({
        type: 'reply-received',
        time: t + i,
        ...ap(node),
        client: client(i),
        kind: 'initial',
        homeAgent: ha,
        ...fa,
        code: 0,
        reason: 'accepted',
        accepted: true,
        issuer: 'home-agent',
        lifetime: 600,
        roundTripSeconds: 0.003 * (i + 1),
      });
    events.push(
      good
        ? outcome(node, i, 'accepted', ha, { ...fa, code: 0, reason: 'accepted', roundTripSeconds: 0.003 })
        : outcome(node, i, 'timeout', ha),
    );
    const lastOutcome = good
      ? {
          kind: 'accepted' as const,
          code: 0,
          reason: 'accepted',
          homeAgent: ha,
          ...fa,
          transmissions: 1,
          at: t + i,
        }
      : { kind: 'timeout' as const, homeAgent: ha, transmissions: 4, at: t + i };
    events.push({
      type: 'client-state',
      time: t + i,
      ...ap(node),
      client: client(i),
      ssid: 'corp',
      state: good ? 'registered' : 'isolated',
      ...(i % 3 === 0 ? { nai: `User${i}@Example.NET` } : {}),
      homeAgent: ha,
      ...(good ? { careOfAddress: FA1, expiresAt: t + 600_000 - i * 1000 } : {}),
      lastOutcome,
      ...(i === 9 ? { attemptStartedAt: t + 20 } : {}),
    });
  }
  // A client with no attempt yet, and ap-2 three hours behind both home agents.
  events.push({
    type: 'client-state',
    time: t + 30,
    ...ap('ap-1'),
    client: { mac: '02:00:00:00:09:99', address: '10.0.5.5' },
    ssid: 'guest',
    state: 'pending',
  });
  for (const ha of [HA1, HA2])
    events.push({
      type: 'time-sync',
      time: t + 40,
      ...ap('ap-2'),
      homeAgent: ha,
      mode: 'timestamp',
      offsetSeconds: 3 * 3600 + 2 + (ha === HA2 ? 0.4 : 0),
    });
  return { collector, events };
}

describe('health overview and the Mobile Clients query', () => {
  let server: ExporterServer;
  const get = (path: string) => fetch(server.url + path);
  const json = async <T>(path: string) => (await (await get(path)).json()) as T;

  beforeAll(async () => {
    now = T0;
    const { collector, events } = build();
    now = T0 + 55_000;
    collector.ingestAll(events);
    now = T0 + 60_000;
    server = await startExporterServer({
      collector,
      listen: { host: '127.0.0.1', port: 0 },
      logger: pino({ level: 'silent' }),
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('serves /api/v1/health: every node with status and cause, times as ISO strings', async () => {
    const h = await json<{
      time: string;
      rules: { windowSeconds: number };
      homeAgents: Array<{
        name: string;
        address: string;
        status: string;
        failures: string[];
        lastReplyAt: string | null;
      }>;
      accessPoints: Array<{ name: string; status: string }>;
      foreignAgents: Array<{ name: string; status: string }>;
      outcomesPerMinute: Array<{ time: string; counts: Record<string, number> }>;
      roundTripLastHour: { bounds: number[]; counts: number[] };
    }>('/api/v1/health');
    expect(h.time).toBe(new Date(T0 + 60_000).toISOString());
    expect(h.rules.windowSeconds).toBe(30);
    const ha = Object.fromEntries(h.homeAgents.map((r) => [r.name, r]));
    expect(ha['ha-1']).toMatchObject({
      address: HA1,
      status: 'ok',
      // When the collector received it (its own clock: an access point's may be off).
      lastReplyAt: new Date(T0 + 55_000).toISOString(),
    });
    expect(ha['ha-2']).toMatchObject({
      address: HA2,
      status: 'down',
      failures: ['4 timeouts (no reply) of 4'],
      lastReplyAt: null,
    });
    expect(h.accessPoints.map((r) => [r.name, r.status])).toEqual([
      ['ap-1', 'ok'],
      ['ap-2', 'down'],
    ]);
    expect(h.foreignAgents.map((r) => [r.name, r.status])).toEqual([['fa-1', 'ok']]);
    const total = h.outcomesPerMinute.reduce((t, p) => t + p.counts.accepted! + p.counts.timeout!, 0);
    expect(total).toBe(10);
    expect(h.outcomesPerMinute.every((p) => !Number.isNaN(Date.parse(p.time)))).toBe(true);
    expect(h.roundTripLastHour.counts.reduce((a, b) => a + b, 0)).toBe(6);
    expect((await get('/api/v1/health?x=1')).status).toBe(400);
  });

  it('names the failing devices and the cause in the headline, worst first in each table', async () => {
    const body = await (await get('/')).text();
    const headline = body
      .slice(body.indexOf('id="headline"'), body.indexOf('</section>'))
      .replace(/\s+/g, ' ');
    expect(headline).toContain('Home agent ha-2 (127.102.0.1) is down</strong>: 4 timeouts (no reply) of 4');
    expect(headline).toContain('no reply yet: is it running and reachable? <a');
    // ap-2's attempts are ha-2's: on ha-2's line, not a line of its own.
    expect(headline).toContain('The same failures show at access point ap-2.');
    expect(headline).not.toContain('Access point ap-2 is down');
    expect(headline).toContain(
      '2 devices are down or degraded (1 home agent and 1 access point); 3 ok, 0 idle.',
    );
    expect(headline).not.toContain('ha-1');
    expect(headline).toContain(
      'ap-2&#39;s clock is 3 h behind: every home agent it talks to differs by about the same.',
    );
    // Worst first: ha-2 (down) before ha-1 (ok).
    const rowAt = (name: string) => body.search(new RegExp(`data-name="${name}"\\s+data-address`));
    expect(rowAt('ha-2')).toBeGreaterThan(0);
    expect(rowAt('ha-2')).toBeLessThan(rowAt('ha-1'));
    expect(body).toContain('href="/clients?home_agent=ha-2&amp;outcome=timeout"');
    // Charts: one rect per (minute, outcome) with a count, one per round-trip bucket with replies.
    expect(body.match(/<rect\s[^>]*data-series="outcomes"/g)?.length).toBeGreaterThanOrEqual(2);
    expect(body).toMatch(/<rect\s[^>]*data-series="outcomes"[^>]*data-outcome="timeout"\s+data-count="4"/);
    expect(body.match(/<rect\s[^>]*data-series="round-trip"/g)?.length).toBeGreaterThan(0);
    expect(body).toContain('<title id="chart-outcomes-title">');
    expect(body).toContain('+3 h 0 min 2 s');
    expect(body).toContain('href="/api/v1/health"');
    // An opt-in reload, checked like any parameter.
    expect(await (await get('/?refresh=15')).text()).toContain('<meta http-equiv="refresh" content="15" />');
    const bad = await get('/?refresh=1');
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('<p>refresh: must be at least 5</p>');
  });

  type Clients = {
    total: number;
    offset: number;
    limit: number;
    sort: string;
    order: string;
    clients: Array<{
      mac: string;
      address: string;
      nai: string | null;
      homeAgentName: string | null;
      lifetimeLeftSeconds: number | null;
      lastOutcome: { kind: string; text: string; transmissions: number; at: number } | null;
      attemptStartedAt: number | null;
    }>;
  };

  it('gives each client its last outcome in words, the NAI and the attempt in progress', async () => {
    const { clients } = await json<Clients>('/api/v1/clients');
    const byMac = Object.fromEntries(clients.map((c) => [c.mac, c]));
    expect(byMac['02:00:00:00:00:09']).toMatchObject({
      nai: 'User9@Example.NET',
      homeAgentName: 'ha-2',
      attemptStartedAt: T0 + 50_020,
      lastOutcome: {
        kind: 'timeout',
        transmissions: 4,
        at: T0 + 50_009,
        text: 'no reply from 127.102.0.1 after 4 tries',
      },
    });
    expect(byMac['02:00:00:00:00:01']!.lastOutcome?.text).toBe('accepted by 127.101.0.1');
    expect(byMac['02:00:00:00:09:99']).toMatchObject({ nai: null, lastOutcome: null });
  });

  it('searches MAC, address and NAI, case-insensitively', async () => {
    const macs = async (q: string) =>
      (await json<Clients>(`/api/v1/clients?q=${encodeURIComponent(q)}`)).clients.map((c) => c.mac);
    expect(await macs('user3@example')).toEqual(['02:00:00:00:00:03']);
    expect(await macs('00:09:')).toEqual(['02:00:00:00:09:99']);
    expect(await macs('00:00:09')).toEqual(['02:00:00:00:00:09', '02:00:00:00:09:99']);
    expect(await macs('0200000009')).toEqual(['02:00:00:00:09:99']);
    expect(await macs('10.0.5.')).toEqual(['02:00:00:00:09:99']);
    expect(await macs('nobody')).toEqual([]);
  });

  it('sorts by any column in either order (nulls last), with paging and total', async () => {
    const page = await json<Clients>('/api/v1/clients?sort=address&order=desc&limit=3&offset=1');
    expect(page).toMatchObject({ total: 11, offset: 1, limit: 3, sort: 'address', order: 'desc' });
    const all = (await json<Clients>('/api/v1/clients?sort=address')).clients.map((c) => c.address);
    const numeric = (a: string) => a.split('.').reduce((n, p) => n * 256 + Number(p), 0);
    expect(all).toEqual([...all].sort((a, b) => numeric(a) - numeric(b)));
    expect(page.clients.map((c) => c.address)).toEqual([...all].reverse().slice(1, 4));
    const lifetimes = (await json<Clients>('/api/v1/clients?sort=lifetime_left&order=desc')).clients.map(
      (c) => c.lifetimeLeftSeconds,
    );
    const known = lifetimes.filter((v) => v !== null);
    expect(known).toHaveLength(6);
    expect(known).toEqual([...known].sort((a, b) => b - a));
    expect(lifetimes.slice(6)).toEqual([null, null, null, null, null]);
    for (const sort of [
      'mac',
      'nai',
      'access_point',
      'ssid',
      'state',
      'home_agent',
      'care_of_address',
      'last_outcome',
      'last_seen',
    ])
      expect((await get(`/api/v1/clients?sort=${sort}&order=asc`)).status, sort).toBe(200);
  });

  it('filters by home agent (name or address) and by last outcome', async () => {
    const count = async (q: string) => (await json<Clients>(`/api/v1/clients?${q}`)).total;
    expect(await count('home_agent=ha-2')).toBe(4);
    expect(await count(`home_agent=${HA2}`)).toBe(4);
    expect(await count('outcome=timeout')).toBe(4);
    expect(await count('outcome=accepted&home_agent=ha-1')).toBe(6);
    expect(await count('outcome=none')).toBe(1);
    expect(await count('outcome=denied')).toBe(0);
  });

  it.each([
    [
      'sort=colour',
      'sort: must be one of mac, address, nai, access_point, ssid, state, home_agent, care_of_address, lifetime_left, last_outcome, last_seen',
    ],
    ['order=up', 'order: must be one of asc, desc'],
    ['outcome=lost', 'outcome: must be one of accepted, denied, timeout, unauthenticated, discarded, none'],
    ['home_agent=ha-9', 'home_agent: not a known home agent (give its name or address)'],
    [`q=${'x'.repeat(101)}`, 'q: must be at most 100 characters'],
    ['q=a&q=b', 'q: given 2 times, at most once'],
  ])('refuses /api/v1/clients?%s with 400 and the rule', async (query, reason) => {
    const res = await get(`/api/v1/clients?${query}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: reason });
    const page = await get(`/clients?${query}`);
    expect(page.status).toBe(400);
    expect(await page.text()).toContain(`<p>${reason}</p>`);
  });

  it('renders the Mobile Clients page with sort links, arrows, paging and the outcome in words', async () => {
    const body = await (await get('/clients?sort=address&order=desc&limit=4&offset=4')).text();
    expect(body).toContain('rows 5–8 of 11');
    expect(body).toContain('href="/clients?sort=address&amp;order=desc&amp;limit=4" rel="prev"');
    expect(body).toContain('href="/clients?sort=address&amp;order=desc&amp;limit=4&amp;offset=8" rel="next"');
    // The active column links to the other order and carries the arrow; others sort ascending.
    expect(body).toMatch(
      /aria-sort="descending" data-sort-key="address">\s*<a class="sort" href="\/clients\?sort=address&amp;limit=4"[^>]*>Address ▼<\/a>/,
    );
    expect(body).toMatch(/data-sort-key="mac">\s*<a class="sort" href="\/clients\?limit=4"[^>]*>MAC<\/a>/);
    const ha2 = await (await get('/clients?home_agent=ha-2')).text();
    expect(ha2).toContain('ha-2 (127.102.0.1)');
    expect(ha2).toContain('no reply from 127.102.0.1 after 4 tries');
    expect(ha2).toContain('registering since 08:00:50 UTC (10 s)');
    expect(ha2).toMatch(/<option value="ha-2"\s+selected>ha-2 \(127\.102\.0\.1\)<\/option>/);
    expect(ha2).toContain('Showing 4 of 4 clients.');
    // 100 rows a page by default.
    expect(await (await get('/clients')).text()).toContain('rows 1–11 of 11');
  });

  it('names the agents "name (address)" on the Statistics and Subnet Map pages', async () => {
    const stats = await (await get('/statistics')).text();
    expect(stats).toContain('Home agent ha-2 (127.102.0.1)');
    expect(stats).toContain('Foreign agent fa-1 (127.111.0.2)');
  });
});

describe('the headline', () => {
  const row = (name: string, address: string, outcomes: Partial<Record<RegistrationOutcomeKind, number>>) => {
    const o = { accepted: 0, denied: 0, timeout: 0, unauthenticated: 0, discarded: 0, ...outcomes };
    const attempts = Object.values(o).reduce((a, b) => a + b, 0);
    return {
      name,
      address,
      status: o.accepted === 0 ? ('down' as const) : ('degraded' as const),
      windowSeconds: 30,
      attempts,
      outcomes: o,
      acceptanceRatio: o.accepted / attempts,
      failures: Object.entries(o)
        .filter(([k, n]) => k !== 'accepted' && n > 0)
        .map(([k, n]) => `${n} ${k} of ${attempts}`),
      lastReplyAt: null,
    };
  };

  it('puts a foreign agent or access point failing the same way on the line of that home agent', () => {
    const collector = new Collector({ accessPoints: ['ap-x', 'ap-y'], clock: () => T0 });
    const health = {
      ...collector.health(),
      homeAgents: [
        row('ha-a', '10.0.0.1', { timeout: 2 }),
        row('ha-b', '10.0.0.2', { timeout: 2, unauthenticated: 1 }),
      ],
      foreignAgents: [row('fa-1', '10.0.1.1', { timeout: 2 })],
      accessPoints: [
        row('ap-x', 'ap-x', { timeout: 2, unauthenticated: 1 }),
        row('ap-y', 'ap-y', { denied: 3 }),
      ],
    };
    const body = landingPage({ health, statistics: statisticsDocument(collector.snapshot()) });
    const lines = [...body.matchAll(/<li class="line-[^"]*"[^>]*data-name="([^"]+)"[\s\S]*?<\/li>/g)].map(
      (m) => [
        m[1],
        m[0]
          .replace(/<[^>]+>/g, '')
          .replace(/\s+/g, ' ')
          .trim(),
      ],
    );
    // Worst first: both give no reply to most attempts; ha-b has more of them.
    expect(lines.map(([name]) => name)).toEqual(['ha-b', 'ha-a', 'ap-y']);
    expect(lines[0]![1]).toContain('The same failures show at access point ap-x.');
    expect(lines[1]![1]).toContain('The same failures show at foreign agent fa-1 (10.0.1.1).');
    expect(lines[2]![1]).toMatch(/^down Access point ap-y is down: 3 denied of 3 in the last 30 s/);
    expect(body).toContain(
      '5 devices are down or degraded (2 home agents, 1 foreign agent and 2 access points)',
    );
  });

  it('puts the hops of a silent home agent on its line when they are healthy apart from its timeouts', () => {
    const collector = new Collector({ accessPoints: ['ap-x', 'ap-y'], clock: () => T0 });
    const health = {
      ...collector.health(),
      homeAgents: [row('ha-silent', '10.0.0.9', { timeout: 12 })],
      // The demo's picture: the foreign agent relays for ha-silent and for healthy home agents,
      // and one wrong-key client adds the usual background.
      foreignAgents: [row('fa-1', '10.0.1.1', { accepted: 30, timeout: 10, unauthenticated: 1 })],
      accessPoints: [
        row('ap-x', 'ap-x', { accepted: 25, timeout: 7, unauthenticated: 1 }),
        // Unhealthy apart from the timeouts: a cause of its own, on a line of its own.
        row('ap-y', 'ap-y', { accepted: 5, timeout: 3, denied: 5 }),
      ],
    };
    const body = landingPage({ health, statistics: statisticsDocument(collector.snapshot()) });
    const names = [...body.matchAll(/<li class="line-[^"]*"[^>]*data-name="([^"]+)"/g)].map((m) => m[1]);
    expect(names).toEqual(['ha-silent', 'ap-y']);
    expect(body).toContain('The same failures show at foreign agent fa-1 (10.0.1.1) and access point ap-x.');
  });
});

describe('clock sentences', () => {
  const entry = (accessPoint: string, ha: string, offsetSeconds: number): OffsetEntry => ({
    accessPoint,
    homeAgent: ha,
    homeAgentAddress: `addr-${ha}`,
    mode: 'timestamp',
    offsetSeconds,
    at: T0,
  });

  it('blames an access point off with every home agent it talks to', () => {
    expect(
      clockFindings([entry('ap-2', 'ha-1', 10802), entry('ap-2', 'ha-2', 10801.5)]).map((f) => f.text),
    ).toEqual(["ap-2's clock is 3 h behind: every home agent it talks to differs by about the same."]);
  });

  it('blames a home agent that every access point differs from by the same, ahead when its offset is positive', () => {
    expect(
      clockFindings([entry('ap-1', 'ha-3', 250), entry('ap-2', 'ha-3', 251)]).map((f) => f.text),
    ).toEqual([
      "ha-3 (addr-ha-3)'s clock is 4 min ahead: every access point that talks to it differs by about the same.",
    ]);
  });

  it('blames the access point of a lone pair, and ignores offsets under a second and nonce mode', () => {
    expect(clockFindings([entry('ap-1', 'ha-1', -7200)]).map((f) => f.text)).toEqual([
      "ap-1's clock is 2 h ahead: every home agent it talks to differs by about the same (so far only ha-1 (addr-ha-1)).",
    ]);
    expect(
      clockFindings([entry('ap-1', 'ha-1', 0.4), { ...entry('ap-1', 'ha-2', 0), mode: 'nonce' }]),
    ).toEqual([]);
  });

  it('formats offsets and names', () => {
    expect(formatOffset(10802)).toBe('+3 h 0 min 2 s');
    expect(formatOffset(-250)).toBe('-4 min 10 s');
    expect(formatOffset(2.5)).toBe('+2.5 s');
    expect(agentName('ha-2', '127.102.0.1')).toBe('ha-2 (127.102.0.1)');
    expect(agentName('127.102.0.1', '127.102.0.1')).toBe('127.102.0.1');
  });
});

describe('agent restarts in the headline', () => {
  const reboot = (time: number, node: string, agent: string, previousSequence: number, sequence: number) =>
    ({
      type: 'agent-reboot-detected',
      time,
      node,
      nodeKind: 'access-point',
      agent,
      previousSequence,
      sequence,
    }) as PmipEvent;

  it('names the agent, where it was seen and what it lost, for 5 minutes, and turns the headline red', () => {
    let clock = T0;
    const collector = new Collector({
      accessPoints: ['ap-1', 'ap-2'],
      foreignAgents: [{ id: 'fa-1', address: FA1 }],
      clock: () => clock,
    });
    collector.ingest(reboot(T0, 'ap-1', FA1, 812, 2));
    // The same restart at another access point, whose clock is 3 h ahead: one restart, seen at
    // both, timed by the collector's clock.
    clock = T0 + 3000;
    collector.ingest(reboot(T0 + 3000 + 3 * 3600_000, 'ap-2', FA1, 812, 2));
    clock = T0 + 40_000;
    const page = () =>
      landingPage({ health: collector.health(), statistics: statisticsDocument(collector.snapshot()) });
    const text = (body: string) =>
      body
        .slice(body.indexOf('id="headline"'), body.indexOf('</section>'))
        .replace(/<[^>]+>/g, '')
        .replaceAll('&#39;', "'")
        .replace(/\s+/g, ' ');
    let body = page();
    expect(body).toMatch(/class="headline bad-news"/);
    expect(text(body)).toContain('An agent restarted in the last 5 min.');
    expect(text(body)).toContain(
      "Foreign agent fa-1 (127.111.0.2) restarted 40 s ago (its advertisements' sequence number fell from 812 to 2 at access points ap-1 and ap-2): it lost its visitor list, so its clients must register again.",
    );
    // /api/v1/health: the same, its time as an ISO string.
    expect(JSON.parse(JSON.stringify(healthDocument(collector.health()))).agentRestarts).toEqual([
      {
        agent: FA1,
        name: 'fa-1',
        role: 'foreign-agent',
        seenBy: ['ap-1', 'ap-2'],
        time: new Date(T0).toISOString(),
        previousSequence: 812,
        sequence: 2,
        count: 1,
      },
    ]);
    // An agent the site does not know: no role, no name but its address; newest first.
    clock = T0 + 50_000;
    collector.ingest(reboot(T0 + 50_000, 'ap-1', '10.77.0.1', 300, 0));
    clock = T0 + 60_000;
    collector.ingest(reboot(T0 + 60_000, 'ap-1', FA1, 3, 1));
    expect(collector.health().agentRestarts.map((r) => [r.name, r.role, r.count])).toEqual([
      ['fa-1', 'foreign-agent', 2],
      ['10.77.0.1', undefined, 1],
    ]);
    body = page();
    expect(text(body)).toContain('2 agents restarted in the last 5 min.');
    expect(text(body)).toContain('from 3 to 1 at access point ap-1; 2 restarts of it seen)');
    expect(text(body)).toContain(
      "Agent 10.77.0.1 restarted 10 s ago (its advertisements' sequence number fell from 300 to 0 at access point ap-1): its registrations are lost, so its clients must register again.",
    );
    // Five minutes after the last restart the headline is quiet again.
    clock = T0 + 60_000 + 300_001;
    expect(collector.health().agentRestarts).toEqual([]);
    body = page();
    expect(body).toMatch(/class="headline good-news"/);
    expect(text(body)).not.toContain('restarted');
  });

  it('keeps the latest restart of at most 16 agents, however many advertise', () => {
    let clock = T0;
    const collector = new Collector({ accessPoints: ['ap-1'], clock: () => clock });
    for (let i = 0; i < 1000; i++) {
      clock = T0 + i;
      collector.ingest(reboot(T0 + i, 'ap-1', `10.66.${i >> 8}.${i & 255}`, 300, 1));
    }
    const restarts = collector.health().agentRestarts;
    expect(restarts).toHaveLength(16);
    expect(restarts[0]!.agent).toBe('10.66.3.231'); // the 1000th, newest first
    expect(restarts[15]!.agent).toBe('10.66.3.216');
  });
});
