import { describe, expect, it } from 'vitest';
import { ForeignAgent, type ForeignAgentConfig } from '../../../src/pmip/agents/foreign-agent.ts';
import { HomeAgent } from '../../../src/pmip/agents/home-agent.ts';
import { LocalSecurityAssociations } from '../../../src/pmip/security/store.ts';
import { FakeScheduler } from '../../../src/pmip/runtime/scheduler.ts';
import {
  decodeIcmpMobility,
  decodeRegistration,
  encodeAgentSolicitation,
  encodeRegistration,
  identificationLow,
  makeIdentification,
  seededRandom,
  verifyAuthentication,
  type AgentAdvertisement,
  type RegistrationReply,
} from '../../../src/pmip/wire/index.ts';
import {
  EventLog,
  Inbox,
  closeAfterEach,
  testKey,
  encodeRequest,
  foreignAgentCounts,
  ntpSeconds,
  timestampId,
  type RequestFields,
} from './helpers.ts';

const { hex: KEY_HEX, auth: AUTH } = testKey('0f1e2d3c4b5a69788796a5b4c3d2e1f0', 4242);
const FA = '127.0.40.1';
const HA = '127.0.41.1';
const AP = '127.0.42.1';
const MN = '127.0.41.50';

const open = closeAfterEach();

interface Harness {
  fa: ForeignAgent;
  ap: Inbox;
  log: EventLog;
  scheduler: FakeScheduler;
  fields(overrides?: Partial<RequestFields>): RequestFields;
  /** Sends a signed request from the access point to the foreign agent; returns its fields. */
  send(overrides?: Partial<RequestFields>): RequestFields;
}

/** A foreign agent whose home agent is `homeAgent` (a plain endpoint or a HomeAgent's port). */
async function harness(
  config: Partial<ForeignAgentConfig> = {},
  scheduler = new FakeScheduler(),
): Promise<Harness> {
  const log = new EventLog();
  const fa = await ForeignAgent.start(
    { id: 'fa-1', address: FA, port: 0, maxLifetime: 300, ...config },
    { scheduler, random: seededRandom(7), emit: log.emit },
  );
  open.push(fa);
  const ap = await Inbox.bind(AP);
  open.push(ap);
  let low = 0x2000;
  const fields = (overrides: Partial<RequestFields> = {}): RequestFields => ({
    homeAddress: MN,
    homeAgent: HA,
    careOfAddress: FA,
    lifetime: 200,
    identification: timestampId(scheduler.now(), ++low),
    ...overrides,
  });
  return {
    fa,
    ap,
    log,
    scheduler,
    fields,
    send(overrides = {}) {
      const f = fields(overrides);
      ap.send(encodeRequest(f, AUTH), { address: FA, port: fa.port });
      return f;
    },
  };
}

/** A stand-in home agent: a plain endpoint on the HA address that records what the FA relays. */
async function stubHomeAgent(): Promise<Inbox> {
  const stub = await Inbox.bind(HA);
  open.push(stub);
  return stub;
}

function replyFor(
  f: RequestFields,
  code: number,
  lifetime: number,
  identification = f.identification,
): Buffer {
  const reply: RegistrationReply = {
    type: 'registration-reply',
    code,
    lifetime,
    homeAddress: f.homeAddress,
    homeAgent: HA,
    identification,
    extensions: [],
  };
  return encodeRegistration(reply, AUTH);
}

describe('foreign agent: relaying to a real home agent', () => {
  it('relays a request to the home agent and the reply back, adding a visitor on acceptance', async () => {
    const scheduler = new FakeScheduler();
    const haLog = new EventLog();
    const ha = await HomeAgent.start(
      {
        id: 'ha-1',
        address: HA,
        port: 0,
        subnet: '127.0.41.0/24',
        maxLifetime: 120,
        securityAssociations: new LocalSecurityAssociations([{ address: MN, spi: 4242, keyHex: KEY_HEX }]),
      },
      { scheduler, random: seededRandom(1), emit: haLog.emit },
    );
    open.push(ha);
    const h = await harness({ homeAgentPort: new Map([[HA, ha.port]]) }, scheduler);

    const f = h.send({ lifetime: 200 });
    const { reply, decoded, from } = await h.ap.nextReply();
    expect(from).toEqual({ address: FA, port: h.fa.port });
    expect(reply).toMatchObject({
      code: 0,
      lifetime: 120,
      homeAddress: MN,
      homeAgent: HA,
      identification: f.identification,
    });
    // relayed unchanged: the home agent's authenticator still verifies
    expect(verifyAuthentication(decoded, AUTH)).toBe('ok');
    expect(ha.bindings()).toEqual([
      expect.objectContaining({
        homeAddress: MN,
        careOfAddress: FA,
        lifetime: 120,
        source: { address: FA, port: h.fa.port },
      }),
    ]);
    expect(h.fa.visitors()).toEqual([
      {
        homeAddress: MN,
        homeAgent: HA,
        careOfAddress: FA,
        lifetime: 120,
        registeredAt: scheduler.now(),
        expiresAt: scheduler.now() + 120_000,
        remainingSeconds: 120,
        requester: h.ap.peer,
        identification: f.identification.toString(16).padStart(16, '0'),
        encapsulation: 'ip-in-ip',
        reverseTunnel: false,
      },
    ]);
    expect(h.fa.pending()).toEqual([]);
    expect(h.log.types()).toEqual(['request-received', 'request-relayed', 'visitor-added', 'reply-sent']);
    expect(h.log.of('request-received')[0]).toMatchObject({
      kind: 'initial',
      homeAddress: MN,
      careOfAddress: FA,
      node: 'fa-1',
      nodeKind: 'foreign-agent',
    });
    expect(h.log.of('request-relayed')[0]).toMatchObject({ homeAddress: MN, homeAgent: HA });
    expect(h.log.of('visitor-added')[0]).toMatchObject({ homeAddress: MN, homeAgent: HA, lifetime: 120 });
    expect(h.log.of('reply-sent')[0]).toMatchObject({
      code: 0,
      reason: 'accepted',
      relayed: true,
      homeAddress: MN,
    });

    // the home agent's 133 (new high bits) still finds the pending request by its low bits
    const ahead = h.send({ identification: timestampId(scheduler.now() + 3_600_000, 0x99) });
    const resync = await h.ap.nextReply();
    expect(resync.reply.code).toBe(133);
    expect(resync.reply.identification).toBe(makeIdentification(ntpSeconds(scheduler.now()), 0x99));
    expect(identificationLow(ahead.identification)).toBe(0x99);
    expect(h.log.of('request-received')[1]!.kind).toBe('renewal');
    // a denial removes the visitor entry
    expect(h.log.of('visitor-removed')).toEqual([
      expect.objectContaining({ homeAddress: MN, homeAgent: HA, cause: 'denied', lifetime: 0 }),
    ]);
    expect(h.fa.visitors()).toEqual([]);
    expect(h.fa.pending()).toEqual([]);
    expect(foreignAgentCounts(h.log)).toMatchObject({
      requestsReceived: 2,
      requestsRelayed: 2,
      repliesRelayed: 2,
      visitorsAdded: 1,
    });
  });

  it('relays a deregistration and removes the visitor with cause deregistered', async () => {
    const stub = await stubHomeAgent();
    const h = await harness({ homeAgentPort: stub.peer.port });
    const f = h.send();
    const relayed = await stub.next();
    expect(relayed.from).toEqual({ address: FA, port: h.fa.port });
    expect(relayed.payload.equals(encodeRequest(f, AUTH))).toBe(true);
    stub.send(replyFor(f, 0, 200), relayed.from);
    expect((await h.ap.nextReply()).reply.code).toBe(0);
    expect(h.fa.visitors()).toHaveLength(1);

    const d = h.send({ lifetime: 0 });
    const relayedDereg = await stub.next();
    expect(h.log.of('request-received').at(-1)!.kind).toBe('deregistration');
    stub.send(replyFor(d, 0, 0), relayedDereg.from);
    expect((await h.ap.nextReply()).reply).toMatchObject({ code: 0, lifetime: 0 });
    expect(h.log.of('visitor-removed')).toEqual([expect.objectContaining({ cause: 'deregistered' })]);
    expect(h.fa.visitors()).toEqual([]);
  });
});

describe('foreign agent: its own denials', () => {
  it('69: a lifetime above the maximum, with the maximum in the reply', async () => {
    const stub = await stubHomeAgent();
    const h = await harness({ homeAgentPort: stub.peer.port, maxLifetime: 300 });
    const f = h.send({ lifetime: 1000 });
    const { reply, from } = await h.ap.nextReply();
    expect(from).toEqual({ address: FA, port: h.fa.port });
    expect(reply).toEqual({
      type: 'registration-reply',
      code: 69,
      lifetime: 300,
      homeAddress: MN,
      homeAgent: HA,
      identification: f.identification,
      extensions: [],
    });
    expect(h.log.types()).toEqual(['request-received', 'request-denied', 'reply-sent']);
    expect(h.log.of('request-denied')[0]).toMatchObject({
      code: 69,
      reason: 'fa_lifetime_too_long',
      homeAddress: MN,
    });
    expect(h.log.of('reply-sent')[0]).toMatchObject({ code: 69, relayed: false });
    expect(await stub.quietFor()).toBe(0);
    expect(h.fa.pending()).toEqual([]);
    expect(foreignAgentCounts(h.log).deniedByCode).toEqual({ 69: 1 });
  });

  it('72: an encapsulation it does not offer; GRE relayed when offered', async () => {
    const stub = await stubHomeAgent();
    const h = await harness({ homeAgentPort: stub.peer.port, encapsulations: { gre: true, minimal: false } });
    h.send({ flags: { M: true } });
    expect((await h.ap.nextReply()).reply).toMatchObject({ code: 72, lifetime: 0 });
    h.send({ flags: { G: true } });
    await stub.next();
    expect(h.log.of('request-denied').map((e) => [e.code, e.reason])).toEqual([
      [72, 'fa_encapsulation_unavailable'],
    ]);
    expect(h.log.of('request-relayed')).toHaveLength(1);

    const none = await harness({ homeAgentPort: stub.peer.port });
    none.send({ flags: { G: true } });
    expect((await none.ap.nextReply()).reply.code).toBe(72);
  });

  it('74: a reverse tunnel it does not offer', async () => {
    const h = await harness();
    h.send({ flags: { T: true } });
    expect((await h.ap.nextReply()).reply.code).toBe(74);
    expect(h.log.of('request-denied')[0]!.reason).toBe('fa_reverse_tunnel_unavailable');
  });

  it('70: a zero home address or home agent', async () => {
    const h = await harness();
    h.send({ homeAddress: '0.0.0.0' });
    expect((await h.ap.nextReply()).reply).toMatchObject({ code: 70, homeAddress: '0.0.0.0' });
    h.send({ homeAgent: '0.0.0.0' });
    expect((await h.ap.nextReply()).reply).toMatchObject({ code: 70, homeAgent: '0.0.0.0' });
    expect(h.log.of('request-denied').map((e) => e.reason)).toEqual([
      'fa_poorly_formed_request',
      'fa_poorly_formed_request',
    ]);
  });

  it('77: a care-of address it does not offer', async () => {
    const h = await harness({ careOfAddress: '127.0.40.9' });
    h.send({ careOfAddress: FA });
    expect((await h.ap.nextReply()).reply.code).toBe(77);
  });
});

describe('foreign agent: replies, timeouts and expiry', () => {
  it('drops a reply that matches no pending request', async () => {
    const stub = await stubHomeAgent();
    const h = await harness({ homeAgentPort: stub.peer.port });
    const f = h.fields();
    stub.send(replyFor(f, 0, 100), { address: FA, port: h.fa.port });
    await h.log.waitFor('reply-dropped');
    expect(h.log.of('reply-dropped')[0]).toMatchObject({ reason: 'no-pending-request', node: 'fa-1' });
    expect(await h.ap.quietFor()).toBe(0);
    // same home address, wrong low bits: still no match
    const sent = h.send();
    await stub.next();
    stub.send(replyFor(sent, 0, 100, sent.identification + 1n), { address: FA, port: h.fa.port });
    await h.log.waitFor('reply-dropped', 2);
    expect(h.fa.pending()).toHaveLength(1);
    expect(h.fa.visitors()).toEqual([]);
  });

  it('forgets a pending request after the pending timeout', async () => {
    const stub = await stubHomeAgent();
    const h = await harness({ homeAgentPort: stub.peer.port, pendingTimeoutMs: 7000 });
    const f = h.send({ lifetime: 100 });
    await stub.next();
    expect(h.fa.pending()).toEqual([
      {
        homeAddress: MN,
        homeAgent: HA,
        careOfAddress: FA,
        identification: f.identification.toString(16).padStart(16, '0'),
        lifetime: 100,
        requester: h.ap.peer,
        receivedAt: h.scheduler.now(),
        expiresAt: h.scheduler.now() + 7000,
      },
    ]);
    h.scheduler.advance(6999);
    expect(h.fa.pending()).toHaveLength(1);
    h.scheduler.advance(1);
    expect(h.fa.pending()).toEqual([]);
    // The pending timeout has no event of its own: one request relayed, none answered, none left.
    const { requestsRelayed, repliesRelayed } = foreignAgentCounts(h.log);
    expect(requestsRelayed - repliesRelayed).toBe(1);
    stub.send(replyFor(f, 0, 100), { address: FA, port: h.fa.port });
    await h.log.waitFor('reply-dropped');
    expect(await h.ap.quietFor()).toBe(0);
  });

  it('removes a visitor when the granted lifetime has passed', async () => {
    const stub = await stubHomeAgent();
    const h = await harness({ homeAgentPort: stub.peer.port });
    const f = h.send({ lifetime: 200 });
    stub.send(replyFor(f, 1, 5), (await stub.next()).from);
    expect((await h.ap.nextReply()).reply).toMatchObject({ code: 1, lifetime: 5 });
    expect(h.fa.visitors()[0]).toMatchObject({ lifetime: 5, remainingSeconds: 5 });
    h.scheduler.advance(4999);
    expect(h.fa.visitors()).toHaveLength(1);
    h.scheduler.advance(1);
    expect(h.fa.visitors()).toEqual([]);
    expect(h.log.of('visitor-removed')).toEqual([
      expect.objectContaining({ homeAddress: MN, homeAgent: HA, cause: 'expired', time: h.scheduler.now() }),
    ]);
  });

  it('refreshes the visitor entry on a renewal', async () => {
    const stub = await stubHomeAgent();
    const h = await harness({ homeAgentPort: stub.peer.port });
    const f1 = h.send();
    stub.send(replyFor(f1, 0, 10), (await stub.next()).from);
    await h.ap.nextReply();
    h.scheduler.advance(8000);
    const f2 = h.send();
    const relayed = await stub.next();
    expect(h.log.of('request-received').map((e) => e.kind)).toEqual(['initial', 'renewal']);
    stub.send(replyFor(f2, 0, 10), relayed.from);
    await h.ap.nextReply();
    h.scheduler.advance(8000);
    expect(h.fa.visitors()).toHaveLength(1);
    expect(h.log.of('visitor-removed')).toEqual([]);
    h.scheduler.advance(2000);
    expect(h.log.of('visitor-removed')[0]!.cause).toBe('expired');
  });
});

describe('foreign agent: advertisements', () => {
  it('numbers advertisements 0, 1, 2 with the F and R flags, its care-of address and lifetime limit', async () => {
    const listener = await Inbox.bind('127.0.42.2');
    open.push(listener);
    const h = await harness({
      maxLifetime: 600,
      encapsulations: { gre: true },
      reverseTunnel: true,
      advertisements: { intervalMs: 1000, peers: [listener.peer] },
    });
    const adv = h.fa.advertiser!;
    const first = decodeIcmpMobility((await listener.next()).payload) as AgentAdvertisement;
    expect(first).toMatchObject({
      sequence: 0,
      registrationLifetime: 600,
      careOfAddresses: [FA],
      routerAddresses: [{ address: FA, preference: 0 }],
    });
    expect(first.flags).toEqual({
      R: true,
      B: false,
      H: false,
      F: true,
      M: false,
      G: true,
      r: false,
      T: true,
    });
    h.scheduler.advance(999);
    expect(await listener.quietFor(50)).toBe(0);
    h.scheduler.advance(1);
    h.scheduler.advance(1000);
    const seqs = [(await listener.next()).payload, (await listener.next()).payload].map(
      (p) => (decodeIcmpMobility(p) as AgentAdvertisement).sequence,
    );
    expect(seqs).toEqual([1, 2]);
    expect(adv.sequence).toBe(3);
    expect(h.log.of('advertisement-sent').map((e) => [e.sequence, e.node, e.nodeKind])).toEqual([
      [0, 'fa-1', 'foreign-agent'],
      [1, 'fa-1', 'foreign-agent'],
      [2, 'fa-1', 'foreign-agent'],
    ]);
  });

  it('wraps the sequence from 0xffff to 256', async () => {
    const listener = await Inbox.bind('127.0.42.3');
    open.push(listener);
    const h = await harness({
      advertisements: {
        intervalMs: 500,
        peers: [listener.peer],
        initialSequence: 0xfffe,
        registrationRequired: false,
      },
    });
    h.scheduler.advance(500);
    h.scheduler.advance(500);
    h.scheduler.advance(500);
    const seqs: number[] = [];
    for (let i = 0; i < 4; i++) {
      const adv = decodeIcmpMobility((await listener.next()).payload) as AgentAdvertisement;
      expect(adv.flags.R).toBe(false);
      seqs.push(adv.sequence);
    }
    expect(seqs).toEqual([0xfffe, 0xffff, 256, 257]);
  });

  it('answers a solicitation at once, to the solicitor', async () => {
    const solicitor = await Inbox.bind('127.0.42.4');
    open.push(solicitor);
    const h = await harness({ advertisements: {} });
    const adv = h.fa.advertiser!;
    expect(await solicitor.quietFor(50)).toBe(0);
    solicitor.send(encodeAgentSolicitation(), { address: FA, port: adv.port });
    const answer = await solicitor.next();
    expect(answer.from).toEqual({ address: FA, port: adv.port });
    expect(decodeIcmpMobility(answer.payload)).toMatchObject({
      type: 'agent-advertisement',
      sequence: 0,
      careOfAddresses: [FA],
    });
    solicitor.send(encodeAgentSolicitation(), { address: FA, port: adv.port });
    expect(decodeIcmpMobility((await solicitor.next()).payload)).toMatchObject({ sequence: 1 });
    expect(h.log.of('advertisement-sent').map((e) => e.sequence)).toEqual([0, 1]);
  });
});

describe('foreign agent: garbage', () => {
  it('counts garbage on both sockets, drops poorly formed replies, and keeps relaying', async () => {
    const stub = await stubHomeAgent();
    const h = await harness({ homeAgentPort: stub.peer.port, advertisements: {} });
    const reg = { address: FA, port: h.fa.port };
    h.ap.send(Buffer.from([3, 0, 1]), reg);
    h.ap.send(Buffer.from([7, 7, 7, 7]), reg);
    h.ap.send(Buffer.from([1]), reg);
    h.ap.send(Buffer.from([9, 0, 0, 0, 0, 0, 0, 0]), { address: FA, port: h.fa.advertiser!.port });
    await h.log.waitFor('malformed-datagram', 4);
    expect(h.log.of('malformed-datagram').map((e) => [e.socket, e.errorKind, e.peer])).toEqual([
      ['registration', 'truncated', AP],
      ['registration', 'unknown-type', AP],
      ['registration', 'truncated', AP],
      ['advertisement', 'bad-checksum', AP],
    ]);
    expect(h.log.of('reply-dropped')).toEqual([expect.objectContaining({ reason: 'poorly-formed' })]);
    expect(foreignAgentCounts(h.log)).toMatchObject({ malformedDatagrams: 3, repliesDroppedPoorlyFormed: 1 });
    expect(await h.ap.quietFor(50)).toBe(0);

    const f = h.send();
    const relayed = await stub.next();
    expect(decodeRegistration(relayed.payload)).toMatchObject({
      homeAddress: MN,
      identification: f.identification,
    });
  });
});
