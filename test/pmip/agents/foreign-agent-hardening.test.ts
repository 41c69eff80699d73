import { describe, expect, it } from 'vitest';
import { ForeignAgent, type ForeignAgentConfig } from '../../../src/pmip/agents/foreign-agent.ts';
import { HomeAgent } from '../../../src/pmip/agents/home-agent.ts';
import { LocalSecurityAssociations } from '../../../src/pmip/security/store.ts';
import { FakeScheduler } from '../../../src/pmip/runtime/scheduler.ts';
import {
  encodeRegistration,
  ipv4ToUint32,
  seededRandom,
  type RegistrationReply,
} from '../../../src/pmip/wire/index.ts';
import {
  EventLog,
  Inbox,
  closeAfterEach,
  testKey,
  encodeRequest,
  foreignAgentCounts,
  sleep,
  timestampId,
  type RequestFields,
} from './helpers.ts';

/**
 * Regression tests for three security findings of the foreign agent, on real UDP sockets:
 * the relay loop, replies accepted from anyone, and the pending table exhausted by one sender.
 */
const { hex: KEY_HEX, auth: AUTH } = testKey('8899aabbccddeeff0011223344556677', 4343);
const FA = '127.0.44.1';
const HA = '127.0.45.1';
/** Nothing listens here: relayed requests vanish, like a home agent that never answers. */
const SILENT_HA = '127.0.45.99';
/** A stand-in home agent (a plain endpoint) for replies the tests write themselves. */
const STUB_HA = '127.0.45.2';
const AP = '127.0.46.1';
const AP2 = '127.0.46.2';
const ATTACKER = '127.0.46.66';
const MN = '127.0.45.50';

const open = closeAfterEach();

interface Lab {
  fa: ForeignAgent;
  ha: HomeAgent;
  log: EventLog;
  scheduler: FakeScheduler;
  fields(overrides?: Partial<RequestFields>): RequestFields;
}

let low = 0x10000;

/** A real home agent (SAs for 127.0.45.50-127.0.45.80) and a foreign agent relaying to it. */
async function lab(config: Partial<ForeignAgentConfig> = {}, stub?: Inbox): Promise<Lab> {
  const scheduler = new FakeScheduler();
  const ha = await HomeAgent.start(
    {
      id: 'ha-h',
      address: HA,
      port: 0,
      subnet: '127.0.45.0/24',
      maxLifetime: 600,
      securityAssociations: new LocalSecurityAssociations([
        { address: MN, rangeEnd: '127.0.45.80', spi: AUTH.spi, keyHex: KEY_HEX },
      ]),
    },
    { scheduler, random: seededRandom(11), emit: () => undefined },
  );
  open.push(ha);
  const log = new EventLog();
  const fa = await ForeignAgent.start(
    {
      id: 'fa-h',
      address: FA,
      port: 0,
      maxLifetime: 300,
      homeAgentPort: new Map([
        [HA, ha.port],
        [STUB_HA, stub?.peer.port ?? 434],
      ]),
      ...config,
    },
    { scheduler, random: seededRandom(12), emit: log.emit },
  );
  open.push(fa);
  const fields = (overrides: Partial<RequestFields> = {}): RequestFields => ({
    homeAddress: MN,
    homeAgent: HA,
    careOfAddress: FA,
    lifetime: 200,
    identification: timestampId(scheduler.now(), ++low),
    ...overrides,
  });
  return { fa, ha, log, scheduler, fields };
}

async function inbox(address: string): Promise<Inbox> {
  const i = await Inbox.bind(address);
  open.push(i);
  return i;
}

/** A genuine, signed registration through the foreign agent; resolves to the reply. */
async function register(
  l: Lab,
  from: Inbox,
  overrides: Partial<RequestFields> = {},
): Promise<RegistrationReply> {
  const f = l.fields(overrides);
  from.send(encodeRequest(f, AUTH), { address: FA, port: l.fa.port });
  for (;;) {
    const { reply } = await from.nextReply();
    if (reply.identification === f.identification) return reply;
  }
}

function reply(f: RequestFields, code: number, lifetime: number): Buffer {
  const r: RegistrationReply = {
    type: 'registration-reply',
    code,
    lifetime,
    homeAddress: f.homeAddress,
    homeAgent: f.homeAgent,
    identification: f.identification,
    extensions: [],
  };
  return encodeRegistration(r, AUTH);
}

/**
 * Sends `n` requests from `from`, in batches small enough for the receive buffer, and waits until
 * the foreign agent has taken each batch in.
 */
async function flood(
  l: Lab,
  from: Inbox,
  n: number,
  make: (i: number) => RequestFields,
  batch = 100,
): Promise<void> {
  const target = { address: FA, port: l.fa.port };
  for (let i = 0; i < n;) {
    const want = l.log.of('request-received').length + Math.min(batch, n - i);
    const end = Math.min(n, i + batch);
    for (; i < end; i++) from.send(encodeRequest(make(i)), target);
    const deadline = Date.now() + 5000;
    while (l.log.of('request-received').length < want) {
      if (Date.now() > deadline)
        throw new Error(`foreign agent took ${l.log.of('request-received').length}/${want}`);
      await sleep(2);
    }
  }
}

function homeAddress(i: number): string {
  return `127.1.${(i >> 8) & 0xff}.${i & 0xff}`;
}

describe('FA hardening 1: relay loop and home agent addresses', () => {
  it('a 24-byte unauthenticated request naming the FA itself as home agent is refused with 65, not looped', async () => {
    const l = await lab();
    const attacker = await inbox(ATTACKER);
    const loop = encodeRequest(l.fields({ homeAddress: '127.0.45.77', homeAgent: FA }));
    expect(loop.length).toBe(24);
    const cpu0 = process.cpuUsage();
    attacker.send(loop, { address: FA, port: l.fa.port });
    await sleep(1000);
    const cpu = process.cpuUsage(cpu0);
    // bounded relays over one second (none at all), and the CPU is not pinned
    expect(foreignAgentCounts(l.log).requestsRelayed).toBeLessThanOrEqual(1);
    expect(l.log.of('request-relayed')).toEqual([]);
    expect(l.log.events.length).toBeLessThan(10);
    expect((cpu.user + cpu.system) / 1000).toBeLessThan(600);
    // refused with 65 (administratively prohibited), answered to the sender
    const { reply: refusal } = await attacker.nextReply();
    expect(refusal).toMatchObject({ code: 65, homeAgent: FA, homeAddress: '127.0.45.77' });
    expect(l.log.of('request-denied')).toEqual([
      expect.objectContaining({ code: 65, reason: 'fa_administratively_prohibited' }),
    ]);
    expect(foreignAgentCounts(l.log).homeAgentRefused).toBe(1);
    // still alive and serving: a genuine registration through the FA is accepted
    const ap = await inbox(AP);
    expect(await register(l, ap)).toMatchObject({ code: 0, lifetime: 200 });
    expect(l.fa.visitors()).toHaveLength(1);
  });

  it('refuses broadcast, multicast, reserved and its own care-of address as home agent, relays nothing', async () => {
    const l = await lab();
    const ap = await inbox(AP);
    const refused = ['255.255.255.255', '224.0.0.1', '239.1.2.3', '240.0.0.1', '0.1.2.3', FA];
    for (const homeAgent of refused) {
      ap.send(encodeRequest(l.fields({ homeAgent })), { address: FA, port: l.fa.port });
      const { reply: r } = await ap.nextReply();
      expect([homeAgent, r.code]).toEqual([homeAgent, 65]);
    }
    expect(foreignAgentCounts(l.log).requestsRelayed).toBe(0);
    expect(foreignAgentCounts(l.log).deniedByCode).toEqual({ 65: refused.length });
    // another loopback home agent is fine: the FA itself is on loopback
    expect(await register(l, ap)).toMatchObject({ code: 0 });
  });

  it('servedHomeAgents: anything outside the configured addresses and prefixes is refused with 65', async () => {
    const l = await lab({ servedHomeAgents: ['127.0.45.0/28', '127.0.99.7'] });
    const ap = await inbox(AP);
    for (const homeAgent of ['127.0.45.16', '127.0.99.8', '10.0.0.1']) {
      ap.send(encodeRequest(l.fields({ homeAgent })), { address: FA, port: l.fa.port });
      expect((await ap.nextReply()).reply.code).toBe(65);
    }
    expect(foreignAgentCounts(l.log).requestsRelayed).toBe(0);
    expect(foreignAgentCounts(l.log).homeAgentRefused).toBe(3);
    expect(await register(l, ap)).toMatchObject({ code: 0 });
  });

  it('classifies home agent addresses: loopback only when the FA is on loopback, own addresses never', async () => {
    const { homeAgentRefusal, parseServedHomeAgents } =
      await import('../../../src/pmip/agents/fa-hardening.ts');
    const own = new Set([ipv4ToUint32('192.0.2.1'), ipv4ToUint32('192.0.2.9')]);
    const offLoopback = { own, loopbackAllowed: false };
    expect(homeAgentRefusal('127.0.0.1', offLoopback)).toBe('loopback');
    expect(homeAgentRefusal('192.0.2.1', offLoopback)).toBe('own-address');
    expect(homeAgentRefusal('192.0.2.9', offLoopback)).toBe('own-address');
    expect(homeAgentRefusal('198.51.100.1', offLoopback)).toBeUndefined();
    const onLoopback = { own: new Set([ipv4ToUint32('127.0.44.1')]), loopbackAllowed: true };
    expect(homeAgentRefusal('127.0.44.2', onLoopback)).toBeUndefined();
    expect(homeAgentRefusal('127.0.44.1', onLoopback)).toBe('own-address');
    const served = parseServedHomeAgents(['198.51.100.0/24'], 'served');
    expect(homeAgentRefusal('198.51.100.200', { ...offLoopback, served })).toBeUndefined();
    expect(homeAgentRefusal('198.51.101.1', { ...offLoopback, served })).toBe('not-served');
    expect(homeAgentRefusal('255.255.255.255', offLoopback)).toBe('broadcast');
    expect(homeAgentRefusal('224.0.0.22', offLoopback)).toBe('multicast');
    expect(homeAgentRefusal('240.0.0.1', offLoopback)).toBe('reserved');
    expect(homeAgentRefusal('0.0.0.0', offLoopback)).toBe('unspecified');
    expect(() => parseServedHomeAgents(['127.0.45.0/33'], 'fa.servedHomeAgents')).toThrow(
      /fa\.servedHomeAgents\[0\]/,
    );
  });

  it('bounds relays per source and overall with token buckets, denying the excess with 66', async () => {
    const l = await lab({
      relayRateLimit: { perSource: { ratePerSecond: 5, burst: 5 }, overall: { ratePerSecond: 8, burst: 8 } },
    });
    const ap = await inbox(AP);
    const ap2 = await inbox(AP2);
    await flood(l, ap, 10, (i) => l.fields({ homeAddress: homeAddress(i), homeAgent: SILENT_HA }));
    expect(foreignAgentCounts(l.log).requestsRelayed).toBe(5);
    await flood(l, ap2, 5, (i) => l.fields({ homeAddress: homeAddress(100 + i), homeAgent: SILENT_HA }));
    expect(foreignAgentCounts(l.log).requestsRelayed).toBe(8);
    expect(foreignAgentCounts(l.log).relaysRateLimited).toBe(7);
    expect(foreignAgentCounts(l.log).deniedByCode).toEqual({ 66: 7 });
    // the refused ones are answered with 66
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push((await ap.nextReply()).reply.code);
    expect(codes).toEqual([66, 66, 66, 66, 66]);
    // a second later the buckets have refilled
    l.scheduler.advance(1000);
    expect(await register(l, ap)).toMatchObject({ code: 0 });
  });
});

describe('FA hardening 2: replies only from the home agent the request went to', () => {
  it('drops replies from another port or address, keeps the request pending, accepts the real one', async () => {
    const stub = await inbox(STUB_HA);
    const l = await lab({}, stub);
    const ap = await inbox(AP);
    const samePortElsewhere = await inbox(STUB_HA); // the home agent's address, another port
    const otherAddress = await inbox('127.0.45.98');
    const f = l.fields({ homeAgent: STUB_HA, lifetime: 200 });
    const to = { address: FA, port: l.fa.port };
    ap.send(encodeRequest(f, AUTH), to);
    const relayed = await stub.next();
    samePortElsewhere.send(reply(f, 0, 65535), to);
    otherAddress.send(reply(f, 0, 65535), to);
    await l.log.waitFor('reply-dropped', 2);
    expect(l.log.of('reply-dropped').map((e) => e.reason)).toEqual([
      'unexpected-source',
      'unexpected-source',
    ]);
    expect(l.fa.visitors()).toEqual([]);
    expect(l.fa.pending()).toHaveLength(1);
    expect(foreignAgentCounts(l.log).repliesDroppedUnexpectedSource).toBe(2);
    expect(await ap.quietFor(100)).toBe(0);
    // the home agent's own reply still goes through; its 65535 is capped at what was asked (<= max)
    stub.send(reply(f, 0, 65535), relayed.from);
    expect((await ap.nextReply()).reply).toMatchObject({ code: 0, lifetime: 65535 }); // bytes unchanged
    expect(l.fa.visitors()).toEqual([
      expect.objectContaining({ homeAddress: MN, lifetime: 200, remainingSeconds: 200 }),
    ]);
    expect(l.log.of('visitor-added').at(-1)).toMatchObject({ lifetime: 200 });
    expect(foreignAgentCounts(l.log).visitorLifetimesCapped).toBe(1);
    // and the visitor expires at its (capped) lifetime
    l.scheduler.advance(199_999);
    expect(l.fa.visitors()).toHaveLength(1);
    l.scheduler.advance(1);
    expect(l.fa.visitors()).toEqual([]);
    expect(l.log.of('visitor-removed')).toEqual([
      expect.objectContaining({ homeAddress: MN, cause: 'expired' }),
    ]);
  });

  it('a granted lifetime is capped at the FA maximum; an accepted deregistration never keeps a visitor', async () => {
    const stub = await inbox(STUB_HA);
    const l = await lab({ maxLifetime: 300 }, stub);
    const ap = await inbox(AP);
    const to = { address: FA, port: l.fa.port };
    const f = l.fields({ homeAgent: STUB_HA, lifetime: 300 });
    ap.send(encodeRequest(f, AUTH), to);
    stub.send(reply(f, 0, 65535), (await stub.next()).from);
    await ap.nextReply();
    expect(l.fa.visitors()[0]).toMatchObject({ lifetime: 300, remainingSeconds: 300 });
    // "accepted, 65535" in answer to a deregistration removes the visitor instead of renewing it
    const d = l.fields({ homeAgent: STUB_HA, lifetime: 0 });
    ap.send(encodeRequest(d, AUTH), to);
    stub.send(reply(d, 0, 65535), (await stub.next()).from);
    await ap.nextReply();
    expect(l.fa.visitors()).toEqual([]);
    expect(l.log.of('visitor-removed').at(-1)).toMatchObject({ cause: 'deregistered' });
  });

  it('spoofed request/reply pairs from anyone but the home agent create no visitors', async () => {
    const stub = await inbox(STUB_HA);
    const l = await lab({}, stub);
    const attacker = await inbox(ATTACKER);
    const to = { address: FA, port: l.fa.port };
    for (let i = 0; i < 300; i++) {
      const f = l.fields({ homeAddress: homeAddress(i), homeAgent: STUB_HA });
      attacker.send(encodeRequest(f), to);
      attacker.send(reply(f, 0, 65535), to);
      if (i % 50 === 49) await l.log.waitFor('reply-dropped', i + 1);
    }
    await l.log.waitFor('reply-dropped', 300);
    expect(l.fa.visitors()).toEqual([]);
    expect(foreignAgentCounts(l.log).visitorsAdded).toBe(0);
  });

  it('caps the visitor table: new registrations beyond maxVisitors get 66, renewals still pass', async () => {
    const stub = await inbox(STUB_HA);
    const l = await lab({ maxVisitors: 2 }, stub);
    const ap = await inbox(AP);
    const to = { address: FA, port: l.fa.port };
    const accept = async (f: RequestFields): Promise<void> => {
      ap.send(encodeRequest(f, AUTH), to);
      stub.send(reply(f, 0, 100), (await stub.next()).from);
      expect((await ap.nextReply()).reply.code).toBe(0);
    };
    await accept(l.fields({ homeAddress: homeAddress(1), homeAgent: STUB_HA }));
    await accept(l.fields({ homeAddress: homeAddress(2), homeAgent: STUB_HA }));
    ap.send(encodeRequest(l.fields({ homeAddress: homeAddress(3), homeAgent: STUB_HA }), AUTH), to);
    expect((await ap.nextReply()).reply.code).toBe(66);
    expect(await stub.quietFor(50)).toBe(0);
    expect(l.fa.visitors()).toHaveLength(2);
    await accept(l.fields({ homeAddress: homeAddress(1), homeAgent: STUB_HA })); // a renewal
    expect(foreignAgentCounts(l.log).visitorTableFull).toBe(1);
  });

  it('two new registrations pending for the last visitor slot: the second acceptance becomes a 66', async () => {
    const stub = await inbox(STUB_HA);
    const l = await lab({ maxVisitors: 1 }, stub);
    const ap = await inbox(AP);
    const to = { address: FA, port: l.fa.port };
    const a = l.fields({ homeAddress: homeAddress(4), homeAgent: STUB_HA });
    const b = l.fields({ homeAddress: homeAddress(5), homeAgent: STUB_HA });
    ap.send(encodeRequest(a, AUTH), to);
    const ra = await stub.next();
    ap.send(encodeRequest(b, AUTH), to);
    const rb = await stub.next();
    stub.send(reply(a, 0, 100), ra.from);
    expect((await ap.nextReply()).reply.code).toBe(0);
    stub.send(reply(b, 0, 100), rb.from);
    expect((await ap.nextReply()).reply).toMatchObject({
      code: 66,
      homeAddress: homeAddress(5),
      identification: b.identification,
    });
    expect(l.fa.visitors().map((v) => v.homeAddress)).toEqual([homeAddress(4)]);
    expect(l.log.of('request-denied').map((e) => e.code)).toEqual([66]);
    expect(foreignAgentCounts(l.log).visitorTableFull).toBe(1);
  });
});

describe('FA hardening 3: the pending table under a flood', () => {
  it('a flood from one source to a silent home agent does not lock out another source', async () => {
    const l = await lab({ maxPending: 1000 });
    const attacker = await inbox(ATTACKER);
    await flood(l, attacker, 3000, (i) =>
      l.fields({ homeAddress: homeAddress(i), homeAgent: SILENT_HA, identification: BigInt(i + 1) }),
    );
    expect(l.fa.pending().length).toBeLessThanOrEqual(100);
    const ap = await inbox(AP);
    expect(await register(l, ap)).toMatchObject({ code: 0 });
    expect(l.fa.visitors()).toHaveLength(1);
  });

  it('when the table is full, the source holding the most loses its oldest entry; it alone gets 66', async () => {
    const l = await lab({
      maxPending: 200,
      maxPendingPerSource: 200,
      maxPendingPerHomeAgent: 200,
      relayRateLimit: { perSource: false, overall: false },
    });
    const attacker = await inbox(ATTACKER);
    await flood(l, attacker, 200, (i) =>
      l.fields({ homeAddress: homeAddress(i), homeAgent: SILENT_HA, identification: BigInt(i + 1) }),
    );
    expect(l.fa.pending()).toHaveLength(200);
    const ap = await inbox(AP);
    expect(await register(l, ap)).toMatchObject({ code: 0 });
    // the attacker's oldest request went, with a 66 to the attacker
    expect(foreignAgentCounts(l.log).pendingEvicted).toBe(1);
    expect((await attacker.nextReply()).reply).toMatchObject({ code: 66, homeAddress: homeAddress(0) });
    expect(l.fa.pending().some((p) => p.homeAddress === homeAddress(0))).toBe(false);
    // the table has room for one more; after that the attacker, the biggest holder, is denied
    await flood(l, attacker, 2, (i) => l.fields({ homeAddress: homeAddress(900 + i), homeAgent: SILENT_HA }));
    expect(l.fa.pending()).toHaveLength(200);
    expect(foreignAgentCounts(l.log).pendingLimited).toBe(1);
    expect(foreignAgentCounts(l.log).pendingEvicted).toBe(1);
    expect((await attacker.nextReply()).reply).toMatchObject({ code: 66, homeAddress: homeAddress(901) });
  });

  it('limits pending entries per source and per home agent', async () => {
    const l = await lab({
      maxPending: 1000,
      maxPendingPerSource: 50,
      maxPendingPerHomeAgent: 120,
      relayRateLimit: { perSource: false, overall: false },
    });
    const sources = await Promise.all([0, 1, 2].map((k) => inbox(`127.0.46.${70 + k}`)));
    for (const [k, s] of sources.entries())
      await flood(l, s, 80, (i) => l.fields({ homeAddress: homeAddress(k * 100 + i), homeAgent: SILENT_HA }));
    const bySource = new Map<string, number>();
    for (const p of l.fa.pending())
      bySource.set(p.requester.address, (bySource.get(p.requester.address) ?? 0) + 1);
    expect(Math.max(...bySource.values())).toBeLessThanOrEqual(50);
    expect(l.fa.pending().filter((p) => p.homeAgent === SILENT_HA).length).toBeLessThanOrEqual(120);
    // the home agent pool is full, but not for another home agent
    const ap = await inbox(AP);
    expect(await register(l, ap)).toMatchObject({ code: 0 });
  });
});
