import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AP, FA, HA, settle, startLab, waitUntil, type Lab } from '../../support/lab-site.ts';
import { Inbox } from '../agents/helpers.ts';
import { UdpEndpoint, type Peer } from '../../../src/pmip/runtime/udp.ts';
import { FakeScheduler, createRealScheduler, realScheduler } from '../../../src/pmip/runtime/scheduler.ts';
import { ForeignAgent } from '../../../src/pmip/agents/foreign-agent.ts';
import {
  AGENT_TABLE_CAPACITY,
  AgentDiscovery,
  isRebootSequence,
  type AdvertisementOutcome,
} from '../../../src/pmip/proxy/discovery.ts';
import { LEARNT_LIFETIME_MIN_SECONDS, LEARNT_LIFETIME_TTL_MS } from '../../../src/pmip/proxy/access-point.ts';
import {
  advertisementFlags,
  decodeRegistration,
  encodeAgentAdvertisement,
  encodeRegistration,
  seededRandom,
  type RegistrationRequest,
} from '../../../src/pmip/wire/index.ts';

/**
 * Regression tests for the security findings on the access point (docs/agents.md, "Access point:
 * agent discovery under attack"), over real UDP on loopback with the lab's fake clock.
 */

/** An agent advertisement as a foreign agent (F, R) at `coa` would send it. */
function advertisement(sequence: number, coa: string, routerLifetime = 30): Buffer {
  return encodeAgentAdvertisement({
    type: 'agent-advertisement',
    icmpCode: 0,
    routerLifetime,
    routerAddresses: [{ address: coa, preference: 0 }],
    sequence,
    registrationLifetime: 600,
    flags: advertisementFlags({ F: true, R: true }),
    careOfAddresses: [coa],
    padding: 0,
  });
}

const client = (n: number, extra: { nai?: string } = {}) => ({
  mac: `02:00:00:00:09:${n.toString(16).padStart(2, '0')}`,
  address: `127.0.1.${150 + n}`,
  ssid: 'corp',
  ...extra,
});

const bindAt = (address: string): Promise<UdpEndpoint> =>
  UdpEndpoint.bind({ address, port: 0, onDatagram: () => undefined });

/** Sends `count` datagrams in small batches, letting the receiver drain its socket in between. */
async function burst(
  from: UdpEndpoint,
  to: Peer,
  count: number,
  bytes: (i: number) => Buffer,
): Promise<void> {
  for (let i = 0; i < count; i++) {
    from.send(bytes(i), to);
    if (i % 20 === 19) await settle(5);
  }
}

describe('access point hardening over real UDP', () => {
  let lab: Lab | undefined;
  const closeLater: Array<{ close(): Promise<void> } | { stop(): Promise<void> }> = [];
  const escaped: unknown[] = [];
  const onEscape = (e: unknown): void => {
    escaped.push(e);
  };

  beforeEach(() => {
    escaped.length = 0;
    process.on('unhandledRejection', onEscape);
    process.on('uncaughtException', onEscape);
  });
  afterEach(async () => {
    process.off('unhandledRejection', onEscape);
    process.off('uncaughtException', onEscape);
    for (const x of closeLater.splice(0)) await ('close' in x ? x.close() : x.stop());
    await lab?.stop();
    lab = undefined;
  });

  const refusals = (node: string, errorKind: string, socket = 'advertisement'): number =>
    lab!.recorder
      .of('malformed-datagram', node)
      .filter((e) => e.errorKind === errorKind && e.socket === socket).length;

  /** Moves the fake clock in steps, letting datagrams (the foreign agents' advertisements) land. */
  async function step(ms: number, stepMs = 2000): Promise<void> {
    for (let t = 0; t < ms; t += stepMs) {
      lab!.scheduler.advance(Math.min(stepMs, ms - t));
      await settle(15);
    }
  }

  // ---- 1. forged advertisements ------------------------------------------------------------------

  it('forged advertisements: off the subnet refused, on it not adopted while the current foreign agent lives', async () => {
    lab = await startLab();
    const ap = lab.ap('B');
    const c = client(1);
    ap.associate(c);
    await lab.waitFor('reply-received', (e) => e.node === 'ap-B' && e.code === 0);
    const to = { address: AP('B'), port: ap.ports.advertisement! };
    const sentVia = (coa: string) =>
      lab!.recorder.of('registration-sent', 'ap-B').filter((e) => e.careOfAddress === coa).length;

    // The reported attack: one advertisement every 2 s from 127.50.0.1, outside 127.0.2.0/24.
    const outside = await bindAt('127.50.0.1');
    closeLater.push(outside);
    for (let i = 0; i < 10; i++) {
      outside.send(advertisement(256 + i, '127.50.0.1'), to);
      await step(2000);
    }
    expect(sentVia('127.50.0.1')).toBe(0); // was: every visitor re-registered through the attacker
    expect(ap.client(c.mac)).toMatchObject({ state: 'registered', careOfAddress: FA('B') });
    expect(refusals('ap-B', 'refused-source')).toBe(10);
    expect(ap.knownAgents().map((a) => a.address)).toEqual([FA('B')]);

    // On the subnet, heard ten times, while FA B keeps advertising: recorded, never adopted.
    const inside = await bindAt('127.0.2.77');
    closeLater.push(inside);
    for (let i = 0; i < 10; i++) {
      inside.send(advertisement(256 + i, '127.0.2.77'), to);
      await step(2000);
    }
    expect(sentVia('127.0.2.77')).toBe(0);
    expect(lab.recorder.of('registration-sent', 'ap-B')).toHaveLength(1); // the initial one only
    expect(ap.client(c.mac)).toMatchObject({ state: 'registered', careOfAddress: FA('B') });
    expect(refusals('ap-B', 'agent-switch-refused')).toBe(10);
    expect(ap.foreignAgentInUse()).toMatchObject({ address: FA('B'), careOfAddress: FA('B') });

    // With an allow-list, an access point refuses the on-subnet stranger outright.
    const strict = await lab.extraAccessPoint(
      { id: 'ap-strict', address: '127.0.2.20', allowedAgents: [FA('B')] },
      21,
    );
    closeLater.push(strict);
    const strictPeer = { address: '127.0.2.20', port: strict.ports.advertisement! };
    lab.fa('B').advertiser!.addPeer(strictPeer);
    lab.fa('B').advertiser!.advertise([strictPeer]);
    for (let i = 0; i < 5; i++) inside.send(advertisement(300 + i, '127.0.2.77'), strictPeer);
    await waitUntil(() => refusals('ap-strict', 'refused-source') >= 5, 'ap-strict refusals');
    await waitUntil(() => strict.foreignAgentInUse() !== undefined, 'ap-strict to adopt FA B');
    expect(refusals('ap-strict', 'refused-source')).toBe(5);
    expect(strict.knownAgents().map((a) => a.address)).toEqual([FA('B')]);

    // The rule is "switch only once the current agent expired": FA B falls silent, the stranger
    // (heard many times) takes over only when FA B's 30 s advertisement lifetime has run out.
    await lab.fa('B').advertiser!.stop();
    const lastSeen = ap.knownAgents().find((a) => a.address === FA('B'))!.lastSeen;
    let switchedAt: number | undefined;
    for (let i = 0; i < 25 && switchedAt === undefined; i++) {
      inside.send(advertisement(400 + i, '127.0.2.77'), to);
      await step(2000);
      if (ap.foreignAgentInUse()?.careOfAddress === '127.0.2.77') switchedAt = lab.scheduler.now();
    }
    expect(switchedAt).toBeDefined();
    expect(switchedAt! - lastSeen).toBeGreaterThanOrEqual(30_000);
    expect(switchedAt! - lastSeen).toBeLessThanOrEqual(32_000);
  });

  // ---- 2. spoofed reboots -------------------------------------------------------------------------

  it('spoofed reboots: 200 sequence-0 datagrams from another port are no reboot; real ones act once per lifetime', async () => {
    lab = await startLab();
    const faX = await ForeignAgent.start(
      { id: 'fa-x', address: '127.0.2.6', port: lab.port, maxLifetime: 600, homeAgentPort: lab.port },
      { scheduler: lab.scheduler, random: seededRandom(11), emit: lab.recorder.emit },
    );
    closeLater.push(faX);
    const ap = await lab.extraAccessPoint({ id: 'ap-reboot', address: '127.0.2.21' }, 12);
    closeLater.push(ap);
    // The agent's advertisement endpoint (the test plays its advertiser) and a spoofer on the same address.
    const genuine = await bindAt('127.0.2.6');
    const spoofer = await bindAt('127.0.2.6');
    closeLater.push(genuine, spoofer);
    const to = { address: '127.0.2.21', port: ap.ports.advertisement! };
    genuine.send(advertisement(300, '127.0.2.6'), to);
    await waitUntil(() => ap.knownAgents().length > 0, 'ap-reboot to hear fa-x');
    const c = client(2);
    ap.associate(c);
    await lab.waitFor('reply-received', (e) => e.node === 'ap-reboot' && e.code === 0);
    const sent = () => lab!.recorder.of('registration-sent', 'ap-reboot').length;
    const reboots = () => lab!.recorder.of('agent-reboot-detected', 'ap-reboot').length;
    expect(sent()).toBe(1);

    // The reported attack: sequence 0 from the agent's address on another port, 200 times.
    await burst(spoofer, to, 200, () => advertisement(0, '127.0.2.6'));
    await waitUntil(
      () => refusals('ap-reboot', 'agent-switch-refused') + reboots() >= 200,
      'the 200 spoofed datagrams',
    );
    await settle();
    expect(reboots()).toBe(0); // was: 200 reboots, each a re-registration round
    expect(sent()).toBe(1);
    expect(refusals('ap-reboot', 'agent-switch-refused')).toBe(200);

    // From the agent's own endpoint, 301, 0, 302, 1, ...: by RFC 5944 section 2.4.4 each fall into
    // 0-255 is a reboot (100 of them), but they trigger one re-registration round.
    await burst(genuine, to, 200, (i) => advertisement(i % 2 === 0 ? 301 + i / 2 : (i - 1) / 2, '127.0.2.6'));
    await waitUntil(
      () => reboots() + refusals('ap-reboot', 'reboot-rate-limited') >= 100,
      'the 100 reboot indications',
    );
    await lab.waitFor(
      'reply-received',
      (e) => e.node === 'ap-reboot' && e.kind === 'renewal' && e.code === 0,
    );
    await settle();
    expect(reboots()).toBe(1);
    expect(refusals('ap-reboot', 'reboot-rate-limited')).toBe(99);
    expect(sent()).toBe(2);

    // A rate limit, not a latch: once the advertisement lifetime (30 s) has passed, a reboot acts again.
    await step(31_000);
    genuine.send(advertisement(500, '127.0.2.6'), to);
    genuine.send(advertisement(3, '127.0.2.6'), to);
    await waitUntil(() => reboots() === 2, 'the second reboot');
    await waitUntil(() => sent() === 3, 'the second re-registration round');
    expect(faX.visitors().map((v) => v.homeAddress)).toEqual([c.address]);
  });

  // ---- 3. unsigned foreign-agent denials ----------------------------------------------------------

  it('a foreign agent denial is taken only from the foreign agent; a learnt lifetime is at least 30 s and expires', async () => {
    lab = await startLab({ staticForeignAgents: true });
    const fa = await Inbox.bind('127.0.2.5'); // plays the foreign agent
    closeLater.push(fa);
    const ap = await lab.extraAccessPoint(
      { id: 'ap-69', address: '127.0.2.22', foreignAgent: { address: '127.0.2.5', port: fa.peer.port } },
      13,
    );
    closeLater.push(ap);
    const forger = await bindAt('127.77.0.1');
    const sameAddress = await bindAt('127.0.2.5');
    closeLater.push(forger, sameAddress);
    const apPeer = { address: '127.0.2.22', port: ap.ports.registration };
    const lifetimes = (mac: string) =>
      lab!.recorder
        .of('registration-sent', 'ap-69')
        .filter((e) => e.client.mac === mac)
        .map((e) => e.lifetime);

    const c = client(3);
    ap.associate(c);
    const request = decodeRegistration((await fa.next()).payload) as RegistrationRequest;
    expect(request.lifetime).toBe(600);
    const denial69 = (lifetime: number): Buffer =>
      encodeRegistration({
        type: 'registration-reply',
        code: 69,
        lifetime,
        homeAddress: request.homeAddress,
        homeAgent: request.homeAgent,
        identification: request.identification,
        extensions: [],
      });

    // The reported attack: an unsigned 69 with lifetime 1 from elsewhere (and from the agent's address on another port).
    forger.send(denial69(1), apPeer);
    sameAddress.send(denial69(1), apPeer);
    await settle(100);
    expect(lifetimes(c.mac)).toEqual([600]); // was: [600, 1], and 1 s for every later request
    expect(lab.recorder.of('reply-received', 'ap-69')).toEqual([]);
    expect(refusals('ap-69', 'refused-source', 'registration')).toBe(2);
    expect(ap.learntLifetimeLimit(fa.peer)).toBeUndefined();

    // The genuine foreign agent says 69, lifetime 1: the access point learns the minimum, not 1.
    fa.send(denial69(1), apPeer);
    const retry = decodeRegistration((await fa.next()).payload) as RegistrationRequest;
    expect(retry.lifetime).toBe(LEARNT_LIFETIME_MIN_SECONDS);
    expect(LEARNT_LIFETIME_MIN_SECONDS).toBe(30);
    expect(ap.learntLifetimeLimit(fa.peer)).toBe(30);
    expect(lab.recorder.of('reply-received', 'ap-69').map((e) => `${e.code}/${e.lifetime}`)).toEqual([
      '69/1',
    ]);
    const learntAt = lab.scheduler.now();

    // Within the ten minutes another client asks for 30 s at once...
    await step(5 * 60_000, 30_000);
    const d = client(4);
    ap.associate(d);
    await waitUntil(() => lifetimes(d.mac).length > 0, 'the second client to send');
    expect(lifetimes(d.mac)).toEqual([30]);

    // ...and after them the limit is gone: the configured 600 s again.
    await step(learntAt + LEARNT_LIFETIME_TTL_MS - lab.scheduler.now() + 1000, 30_000);
    expect(ap.learntLifetimeLimit(fa.peer)).toBeUndefined();
    const e = client(5);
    ap.associate(e);
    await waitUntil(() => lifetimes(e.mac).length > 0, 'the third client to send');
    expect(lifetimes(e.mac)).toEqual([600]);
  });

  // ---- 4. agent table -----------------------------------------------------------------------------

  it('the agent table holds at most 256 agents from 300 sources, counts the rest and lets entries expire', async () => {
    lab = await startLab({ staticForeignAgents: true });
    const ap = await lab.extraAccessPoint(
      { id: 'ap-wide', address: '127.0.3.31', subnet: '127.0.0.0/8' }, // all of loopback is "on the subnet"
      14,
    );
    closeLater.push(ap);
    const to = { address: '127.0.3.31', port: ap.ports.advertisement! };
    const source = (i: number) => `127.60.${Math.floor(i / 250)}.${1 + (i % 250)}`;
    for (let i = 0; i < 300; i++) {
      const s = await bindAt(source(i));
      closeLater.push(s);
      s.send(advertisement(256, source(i)), to);
      if (i % 20 === 19) await settle(5);
    }
    const received = () => lab!.recorder.of('advertisement-received', 'ap-wide').length;
    await waitUntil(
      () => received() + refusals('ap-wide', 'agent-table-full') >= 300 || ap.knownAgents().length >= 300,
      'the 300 advertisements handled',
    );
    expect(ap.knownAgents()).toHaveLength(256); // was: 300, and without bound
    expect(received()).toBe(256);
    expect(refusals('ap-wide', 'agent-table-full')).toBe(44);
    expect(AGENT_TABLE_CAPACITY).toBe(256);

    // 30 s (the advertisements' lifetime) later they are gone; a newcomer finds room again.
    lab.scheduler.advance(31_000);
    expect(ap.knownAgents().length).toBeLessThanOrEqual(1); // the current foreign agent is kept
    const late = await bindAt('127.61.0.1');
    closeLater.push(late);
    late.send(advertisement(256, '127.61.0.1'), to);
    await waitUntil(() => received() === 257, 'the newcomer accepted');
    expect(ap.knownAgents().length).toBeLessThanOrEqual(2);
    expect(refusals('ap-wide', 'agent-table-full')).toBe(44);
  });

  // ---- 5. containment -----------------------------------------------------------------------------

  it('a client whose request cannot be encoded (256-byte NAI) ends discarded/internal-error; the others register', async () => {
    lab = await startLab();
    const ap = lab.ap('B');
    const bad = client(6, { nai: 'a'.repeat(256) });
    ap.associate(bad);
    const outcomesOf = (mac: string) =>
      lab!.recorder.of('registration-outcome', 'ap-B').filter((e) => e.client.mac === mac);
    await waitUntil(() => outcomesOf(bad.mac).length > 0 || escaped.length > 0, 'the attempt to end');
    expect(escaped).toEqual([]); // was: a WireError escaping (unhandled), which ends the process
    const outcome = outcomesOf(bad.mac)[0];
    expect(outcome).toMatchObject({
      node: 'ap-B',
      kind: 'initial',
      outcome: 'discarded',
      reason: 'internal-error',
      homeAgent: HA('A'),
      foreignAgent: FA('B'),
      transmissions: 0,
    });
    const internalErrors = () =>
      lab!.recorder.of('registration-outcome', 'ap-B').filter((e) => e.reason === 'internal-error').length;
    expect(internalErrors()).toBe(1);
    expect(ap.client(bad.mac)?.state).toBe('isolated');

    const good = client(7);
    ap.associate(good);
    await lab.waitFor('reply-received', (e) => e.client.mac === good.mac && e.code === 0);
    await lab.waitFor('registration-outcome', (e) => e.client.mac === good.mac && e.outcome === 'accepted');

    // The back-off retry (a scheduler timer) fails the same way: one outcome per attempt, nothing escapes.
    await step(5000, 1000);
    await waitUntil(() => internalErrors() === 2, 'the retry to fail');
    await settle();
    const outcomes = outcomesOf(bad.mac);
    expect(outcomes.map((e) => `${e.outcome}/${e.reason}`)).toEqual([
      'discarded/internal-error',
      'discarded/internal-error',
    ]);
    expect(lab.recorder.of('registration-sent', 'ap-B').filter((e) => e.client.mac === bad.mac)).toEqual([]);
    expect(escaped).toEqual([]);
    expect(ap.client(good.mac)?.state).toBe('registered');
  });

  it('a throwing timer callback is reported, never thrown into the event loop', async () => {
    const before = realScheduler.timerErrors;
    realScheduler.after(0, () => {
      throw new Error('timer boom (expected on stderr)');
    });
    await settle(20);
    expect(escaped).toEqual([]); // was: an uncaught exception, which ends the process
    expect(realScheduler.timerErrors - before).toBe(1);

    const reported: unknown[] = [];
    const real = createRealScheduler((e) => reported.push(e));
    let ran = false;
    real.after(0, () => {
      throw new Error('timer boom');
    });
    real.after(1, () => {
      ran = true;
    });
    await settle(40);
    expect(reported).toHaveLength(1);
    expect(real.timerErrors).toBe(1);
    expect(ran).toBe(true);

    const fake = new FakeScheduler(0, { onTimerError: (e) => reported.push(e) });
    const order: number[] = [];
    fake.after(10, () => {
      throw new Error('fake boom');
    });
    fake.after(20, () => order.push(20));
    fake.advance(30);
    expect(order).toEqual([20]);
    expect(fake.timerErrors).toBe(1);
    // Without a handler the fake clock still runs every due timer, then shows the error to the test.
    const loud = new FakeScheduler(0);
    loud.after(10, () => {
      throw new Error('loud boom');
    });
    loud.after(20, () => order.push(21));
    expect(() => loud.advance(30)).toThrow('loud boom');
    expect(order).toEqual([20, 21]);
    expect(loud.now()).toBe(30);
    expect(escaped).toEqual([]);
  });

  it('the UDP endpoint contains a throwing handler and a throwing reporter, and a send that throws', async () => {
    let calls = 0;
    const ep = await UdpEndpoint.bind({
      address: '127.0.2.40',
      port: 0,
      onDatagram: (payload) => {
        calls++;
        if (payload[0] === 1) throw new Error('handler boom');
      },
      onHandlerError: () => {
        throw new Error('reporter boom');
      },
    });
    const sender = await bindAt('127.0.2.41');
    closeLater.push(ep, sender);
    sender.send(Buffer.from([1]), { address: ep.address, port: ep.port });
    sender.send(Buffer.from([2]), { address: ep.address, port: ep.port });
    await waitUntil(() => calls === 2, 'both datagrams handled');
    expect(escaped).toEqual([]); // was: the reporter's exception escaping the socket
    expect(ep.handlerErrors).toBe(1);
    expect(sender.send(Buffer.from([3]), { address: ep.address, port: 0 })).toBe(false);
    expect(sender.sendErrors).toBe(1);
    await settle();
    expect(escaped).toEqual([]);
  });
});

// ---- agent discovery rules, without sockets --------------------------------------------------------

describe('agent discovery rules', () => {
  const T0 = Date.UTC(2026, 0, 1);
  const peer = (address: string, port = 5000): Peer => ({ address, port });
  const adv = (
    d: AgentDiscovery,
    from: Peer,
    sequence: number,
    now: number,
    lifetime = 30,
  ): AdvertisementOutcome => d.receive(advertisement(sequence, from.address, lifetime), from, now);

  it('RFC 5944 section 2.4.4: a reboot is a fall into 0-255 below the previous number', () => {
    expect(isRebootSequence(3, 0)).toBe(true);
    expect(isRebootSequence(300, 0)).toBe(true);
    expect(isRebootSequence(0, 0)).toBe(false); // a repeat, the reported spoof
    expect(isRebootSequence(0xffff, 256)).toBe(false); // rollover
    expect(isRebootSequence(300, 299)).toBe(false);
    expect(isRebootSequence(10, 11)).toBe(false);
  });

  it('50,000 advertisements from distinct sources: at most 256 entries, and they expire', () => {
    const d = new AgentDiscovery();
    let refused = 0;
    for (let i = 0; i < 50_000; i++) {
      const from = peer(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, 1000 + (i % 7));
      const o = adv(d, from, 256, T0);
      if (o.kind === 'refused' && o.errorKind === 'agent-table-full') refused++;
    }
    expect(d.list(T0).length).toBe(256); // was: 50,000, each advertisement scanning them all
    expect(d.size).toBe(256);
    expect(refused).toBe(50_000 - 256);
    const later = T0 + 31_000;
    expect(d.list(later).length).toBeLessThanOrEqual(1); // only the current foreign agent stays listed
    adv(d, peer('10.200.0.1'), 256, later);
    expect(d.size).toBeLessThanOrEqual(2);
  });

  it('keeps the current agent while it lives; switches only to an agent heard twice once it expired', () => {
    const d = new AgentDiscovery();
    const a = peer('10.0.0.2');
    const b = peer('10.0.0.66');
    const c = peer('10.0.0.77');
    expect(adv(d, a, 256, T0)).toMatchObject({ current: true });
    for (let i = 1; i <= 5; i++)
      expect(adv(d, b, 256 + i, T0 + i * 1000)).toMatchObject({ switchRefused: true });
    expect(d.foreignAgent(T0 + 29_000)?.address).toBe(a.address);
    // A expired; C heard once is not enough, B (heard five times) is.
    expect(adv(d, c, 256, T0 + 31_000)).toMatchObject({ current: false, switchRefused: true });
    expect(d.foreignAgent(T0 + 31_000)?.address).toBe(b.address);

    const e = new AgentDiscovery();
    adv(e, a, 256, T0);
    adv(e, c, 256, T0 + 31_000); // A expired, C heard once: A is kept for want of better
    expect(e.foreignAgent(T0 + 31_000)?.address).toBe(a.address);
    adv(e, c, 257, T0 + 32_000); // heard twice
    expect(e.foreignAgent(T0 + 32_000)?.address).toBe(c.address);
  });

  it('prefers the allow-list order, and refuses sources the access point does not accept', () => {
    const d = new AgentDiscovery({ accept: (x) => x.startsWith('10.0.0.'), preferred: ['10.0.0.9'] });
    expect(adv(d, peer('10.9.9.9'), 256, T0)).toEqual({ kind: 'refused', errorKind: 'refused-source' });
    adv(d, peer('10.0.0.5'), 256, T0); // adopted: nothing else is known
    adv(d, peer('10.0.0.7'), 256, T0 + 20_000);
    adv(d, peer('10.0.0.7'), 257, T0 + 21_000);
    adv(d, peer('10.0.0.9'), 256, T0 + 22_000);
    adv(d, peer('10.0.0.9'), 257, T0 + 23_000);
    expect(d.foreignAgent(T0 + 25_000)?.address).toBe('10.0.0.5');
    // Once it expired, the preferred agent wins over the one known longer.
    expect(d.foreignAgent(T0 + 30_100)?.address).toBe('10.0.0.9');
  });

  it('a reboot acts at most once per advertisement lifetime (at least 10 s) per agent endpoint', () => {
    const d = new AgentDiscovery();
    const a = peer('10.0.0.2');
    adv(d, a, 300, T0, 3);
    expect(adv(d, a, 0, T0 + 1)).toMatchObject({ reboot: { previousSequence: 300, act: true } });
    adv(d, a, 301, T0 + 2, 3);
    expect(adv(d, a, 1, T0 + 3, 3)).toMatchObject({ reboot: { act: false } });
    adv(d, a, 302, T0 + 9_000, 3);
    expect(adv(d, a, 2, T0 + 9_500, 3)).toMatchObject({ reboot: { act: false } }); // lifetime 3 s, floor 10 s
    adv(d, a, 303, T0 + 10_001, 3);
    expect(adv(d, a, 3, T0 + 10_002, 3)).toMatchObject({ reboot: { act: true } });
    // The same address on another port is another agent: its numbers say nothing about this one.
    expect(adv(d, peer('10.0.0.2', 6000), 0, T0 + 10_003)).not.toHaveProperty('reboot');
  });
});
