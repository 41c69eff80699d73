import { describe, expect, it } from 'vitest';
import { HomeAgent, type HomeAgentConfig } from '../../../src/pmip/agents/home-agent.ts';
import { LocalSecurityAssociations, type LocalBinding } from '../../../src/pmip/security/store.ts';
import { FakeScheduler } from '../../../src/pmip/runtime/scheduler.ts';
import { SimulatedDataPlane } from '../../../src/pmip/runtime/data-plane.ts';
import {
  decodeIcmpMobility,
  encodeAgentSolicitation,
  encodeRegistration,
  identificationHigh,
  identificationLow,
  makeIdentification,
  seededRandom,
  verifyAuthentication,
  type AuthAlgorithm,
} from '../../../src/pmip/wire/index.ts';
import {
  EventLog,
  Inbox,
  closeAfterEach,
  encodeRequest,
  homeAgentCounts,
  ntpSeconds,
  timestampId,
  type RequestFields,
} from './helpers.ts';

const KEY_HEX = '00112233445566778899aabbccddeeff';
const KEY = Buffer.from(KEY_HEX, 'hex');
const OTHER_KEY = Buffer.from('ffeeddccbbaa99887766554433221100', 'hex');
const HA = '127.0.10.1';
const BROADCAST = '127.0.10.255';
const AP = '127.0.20.1';
const FA_COA = '127.0.30.1';
const MN = '127.0.10.50';
const MN_NONCE = '127.0.10.60';
const MN_HMAC = '127.0.10.70';
const SEED = 1234;

const bindings: LocalBinding[] = [
  { address: MN, spi: 300, keyHex: KEY_HEX, replayWindowSeconds: 7 },
  { address: MN_NONCE, spi: 301, keyHex: KEY_HEX, replay: 'nonce' },
  { address: MN_HMAC, spi: 302, keyHex: KEY_HEX, algorithm: 'hmac-md5' },
];

interface Harness {
  ha: HomeAgent;
  ap: Inbox;
  log: EventLog;
  scheduler: FakeScheduler;
  dataPlane: SimulatedDataPlane;
  /** Sends a request signed with `key` (default the right one) to the HA's unicast socket. */
  send(
    fields: Partial<RequestFields>,
    sign?: { spi: number; key: Buffer; algorithm?: AuthAlgorithm } | null,
  ): void;
  fields(overrides?: Partial<RequestFields>): RequestFields;
}

const open = closeAfterEach();

async function harness(config: Partial<HomeAgentConfig> = {}): Promise<Harness> {
  const scheduler = new FakeScheduler();
  const log = new EventLog();
  const dataPlane = new SimulatedDataPlane();
  const ha = await HomeAgent.start(
    {
      id: 'ha-1',
      address: HA,
      port: 0,
      subnet: '127.0.10.0/24',
      maxLifetime: 300,
      securityAssociations: new LocalSecurityAssociations(bindings),
      ...config,
    },
    { scheduler, random: seededRandom(SEED), emit: log.emit, dataPlane },
  );
  open.push(ha);
  const ap = await Inbox.bind(AP);
  open.push(ap);
  let low = 0x1000;
  const fields = (overrides: Partial<RequestFields> = {}): RequestFields => ({
    homeAddress: MN,
    homeAgent: HA,
    careOfAddress: FA_COA,
    lifetime: 600,
    identification: timestampId(scheduler.now(), ++low),
    ...overrides,
  });
  return {
    ha,
    ap,
    log,
    scheduler,
    dataPlane,
    fields,
    send(overrides, sign) {
      const f = fields(overrides);
      const auth =
        sign === null
          ? undefined
          : { spi: sign?.spi ?? 300, key: sign?.key ?? KEY, algorithm: sign?.algorithm ?? 'prefix-suffix' };
      ap.send(encodeRequest(f, auth), { address: HA, port: ha.port });
    },
  };
}

describe('home agent: accepting and binding', () => {
  it('accepts an authenticated request, grants min(asked, max) and signs the reply with the SA', async () => {
    const h = await harness();
    const id = timestampId(h.scheduler.now(), 0xabcdef01);
    h.send({ identification: id, lifetime: 600 });
    const { reply, decoded, from } = await h.ap.nextReply();
    expect(reply).toMatchObject({
      code: 0,
      lifetime: 300,
      homeAddress: MN,
      homeAgent: HA,
      identification: id,
    });
    expect(from).toEqual({ address: HA, port: h.ha.port });
    expect(verifyAuthentication(decoded, { spi: 300, key: KEY, algorithm: 'prefix-suffix' })).toBe('ok');
    expect(verifyAuthentication(decoded, { spi: 300, key: OTHER_KEY, algorithm: 'prefix-suffix' })).toBe(
      'bad-authenticator',
    );
    expect(h.log.types()).toEqual([
      'request-received',
      'arp-sent',
      'arp-sent',
      'binding-created',
      'reply-sent',
    ]);
    expect(h.log.of('request-received')[0]).toMatchObject({
      kind: 'initial',
      homeAddress: MN,
      careOfAddress: FA_COA,
      node: 'ha-1',
      nodeKind: 'home-agent',
      time: h.scheduler.now(),
    });
    expect(h.log.of('arp-sent').map((e) => [e.kind, e.address])).toEqual([
      ['proxy', MN],
      ['gratuitous', MN],
    ]);
    expect(h.log.of('binding-created')[0]).toMatchObject({
      homeAddress: MN,
      careOfAddress: FA_COA,
      lifetime: 300,
    });
    expect(h.log.of('reply-sent')[0]).toMatchObject({
      code: 0,
      reason: 'accepted',
      homeAddress: MN,
      relayed: false,
    });
    expect(h.dataPlane.actions).toEqual([
      { action: 'proxy-arp-start', address: MN },
      { action: 'gratuitous-arp', address: MN },
      { action: 'tunnel-up', homeAddress: MN, careOfAddress: FA_COA, encapsulation: 'ip-in-ip' },
    ]);
    expect(h.ha.bindings()).toEqual([
      {
        homeAddress: MN,
        careOfAddress: FA_COA,
        lifetime: 300,
        registeredAt: h.scheduler.now(),
        expiresAt: h.scheduler.now() + 300_000,
        remainingSeconds: 300,
        encapsulation: 'ip-in-ip',
        reverseTunnel: false,
        identification: id.toString(16).padStart(16, '0'),
        source: h.ap.peer,
      },
    ]);
    expect(homeAgentCounts(h.log)).toMatchObject({
      requestsReceived: 1,
      repliesSent: 1,
      accepted: 1,
      denied: 0,
      bindingsCreated: 1,
    });
  });

  it('grants the asked lifetime when it is below the maximum, and authenticates with HMAC-MD5', async () => {
    const h = await harness();
    h.send({ homeAddress: MN_HMAC, lifetime: 120 }, { spi: 302, key: KEY, algorithm: 'hmac-md5' });
    const { reply, decoded } = await h.ap.nextReply();
    expect(reply.code).toBe(0);
    expect(reply.lifetime).toBe(120);
    expect(verifyAuthentication(decoded, { spi: 302, key: KEY, algorithm: 'hmac-md5' })).toBe('ok');
    expect(verifyAuthentication(decoded, { spi: 302, key: KEY, algorithm: 'prefix-suffix' })).toBe(
      'bad-authenticator',
    );
  });

  it('creates, renews and removes a binding by deregistration', async () => {
    const h = await harness();
    h.send({ lifetime: 200 });
    expect((await h.ap.nextReply()).reply.lifetime).toBe(200);
    h.scheduler.advance(100_000);
    h.send({ lifetime: 250 });
    const renewal = await h.ap.nextReply();
    expect(renewal.reply).toMatchObject({ code: 0, lifetime: 250 });
    expect(h.log.of('request-received').map((e) => e.kind)).toEqual(['initial', 'renewal']);
    expect(h.log.of('binding-renewed')[0]).toMatchObject({
      homeAddress: MN,
      careOfAddress: FA_COA,
      lifetime: 250,
    });
    expect(h.ha.bindings()[0]).toMatchObject({ lifetime: 250, expiresAt: h.scheduler.now() + 250_000 });
    // the renewal moved the expiry: the first lifetime (200 s from t0) passing does nothing
    h.scheduler.advance(150_000);
    expect(h.log.of('binding-expired')).toHaveLength(0);
    h.dataPlane.actions.length = 0;
    h.log.clear();

    const dereg = h.fields({ lifetime: 0, careOfAddress: MN });
    h.send(dereg);
    const { reply, decoded } = await h.ap.nextReply();
    expect(reply).toMatchObject({ code: 0, lifetime: 0, identification: dereg.identification });
    expect(verifyAuthentication(decoded, { spi: 300, key: KEY, algorithm: 'prefix-suffix' })).toBe('ok');
    expect(h.log.of('request-received')[0]).toMatchObject({ kind: 'deregistration', careOfAddress: MN });
    expect(h.log.of('binding-removed')[0]).toMatchObject({
      homeAddress: MN,
      careOfAddress: FA_COA,
      lifetime: 0,
    });
    expect(h.dataPlane.actions).toEqual([
      { action: 'proxy-arp-stop', address: MN },
      { action: 'tunnel-down', homeAddress: MN, careOfAddress: FA_COA },
      { action: 'gratuitous-arp', address: MN },
    ]);
    expect(h.log.of('arp-sent').map((e) => [e.kind, e.address])).toEqual([['gratuitous', MN]]);
    expect(h.ha.bindings()).toEqual([]);
    // nothing left to expire
    h.scheduler.advance(1_000_000);
    expect(h.log.of('binding-expired')).toHaveLength(0);
  });

  it('expires a binding exactly when the granted lifetime has passed', async () => {
    const h = await harness();
    h.send({ lifetime: 30 });
    expect((await h.ap.nextReply()).reply.lifetime).toBe(30);
    h.dataPlane.actions.length = 0;
    h.scheduler.advance(29_999);
    expect(h.ha.bindings()).toHaveLength(1);
    expect(h.ha.bindings()[0]!.remainingSeconds).toBe(1);
    h.scheduler.advance(1);
    expect(h.ha.bindings()).toEqual([]);
    const expired = h.log.of('binding-expired');
    expect(expired).toHaveLength(1);
    expect(expired[0]).toMatchObject({
      homeAddress: MN,
      careOfAddress: FA_COA,
      lifetime: 0,
      time: h.scheduler.now(),
    });
    expect(h.dataPlane.actions.map((a) => a.action)).toEqual([
      'proxy-arp-stop',
      'tunnel-down',
      'gratuitous-arp',
    ]);
    expect(h.log.of('binding-expired').length).toBe(1);
    // the next request is an initial registration again
    h.send({});
    await h.ap.nextReply();
    expect(h.log.of('request-received').map((e) => e.kind)).toEqual(['initial', 'initial']);
  });

  it('replaces the binding when the care-of address changes (no simultaneous bindings)', async () => {
    const h = await harness();
    h.send({});
    await h.ap.nextReply();
    h.dataPlane.actions.length = 0;
    h.log.clear();
    h.send({ careOfAddress: '127.0.31.1' });
    expect((await h.ap.nextReply()).reply.code).toBe(0);
    expect(h.log.of('request-received')[0]!.kind).toBe('renewal');
    expect(h.log.of('binding-removed')[0]).toMatchObject({ careOfAddress: FA_COA });
    expect(h.log.of('binding-created')[0]).toMatchObject({ careOfAddress: '127.0.31.1', lifetime: 300 });
    // still away from home: proxy ARP keeps running, no ARP is sent
    expect(h.log.of('arp-sent')).toEqual([]);
    expect(h.dataPlane.actions).toEqual([
      { action: 'tunnel-down', homeAddress: MN, careOfAddress: FA_COA },
      { action: 'tunnel-up', homeAddress: MN, careOfAddress: '127.0.31.1', encapsulation: 'ip-in-ip' },
    ]);
    expect(h.ha.bindings().map((b) => b.careOfAddress)).toEqual(['127.0.31.1']);
  });

  it('answers S with code 1 and one binding; honours S when simultaneous bindings are on', async () => {
    const h = await harness();
    h.send({ flags: { S: true } });
    expect((await h.ap.nextReply()).reply).toMatchObject({ code: 1, lifetime: 300 });
    h.send({ flags: { S: true }, careOfAddress: '127.0.31.1' });
    expect((await h.ap.nextReply()).reply.code).toBe(1);
    expect(h.ha.bindings().map((b) => b.careOfAddress)).toEqual(['127.0.31.1']);
    expect(h.log.of('reply-sent').map((e) => e.reason)).toEqual([
      'accepted_no_simultaneous_bindings',
      'accepted_no_simultaneous_bindings',
    ]);

    const m = await harness({ simultaneousBindings: true, maxSimultaneousBindings: 2 });
    m.send({ flags: { S: true } });
    expect((await m.ap.nextReply()).reply.code).toBe(0);
    m.send({ flags: { S: true }, careOfAddress: '127.0.31.1' });
    expect((await m.ap.nextReply()).reply.code).toBe(0);
    expect(
      m.ha
        .bindings()
        .map((b) => b.careOfAddress)
        .sort(),
    ).toEqual([FA_COA, '127.0.31.1']);
    m.send({ flags: { S: true }, careOfAddress: '127.0.32.1' });
    expect((await m.ap.nextReply()).reply).toMatchObject({ code: 135, lifetime: 0 });
    // deregistering one care-of address keeps the other
    m.send({ flags: { S: true }, careOfAddress: FA_COA, lifetime: 0 });
    expect((await m.ap.nextReply()).reply).toMatchObject({ code: 0, lifetime: 0 });
    expect(m.ha.bindings().map((b) => b.careOfAddress)).toEqual(['127.0.31.1']);
    expect(m.log.of('arp-sent').filter((e) => e.kind === 'gratuitous')).toHaveLength(1);
  });

  it('tunnels with GRE when asked, and denies encapsulation (139) and reverse tunnel (137) it lacks', async () => {
    const h = await harness({ encapsulations: { gre: false, minimal: true }, reverseTunnel: false });
    h.send({ flags: { G: true } });
    const gre = await h.ap.nextReply();
    expect(gre.reply).toMatchObject({ code: 139, lifetime: 0 });
    expect(verifyAuthentication(gre.decoded, { spi: 300, key: KEY, algorithm: 'prefix-suffix' })).toBe('ok');
    h.send({ flags: { T: true } });
    expect((await h.ap.nextReply()).reply.code).toBe(137);
    expect(h.log.of('request-denied').map((e) => [e.code, e.reason])).toEqual([
      [139, 'ha_encapsulation_unavailable'],
      [137, 'ha_reverse_tunnel_unavailable'],
    ]);
    h.send({ flags: { M: true } });
    expect((await h.ap.nextReply()).reply.code).toBe(0);
    expect(h.dataPlane.actions.at(-1)).toEqual({
      action: 'tunnel-up',
      homeAddress: MN,
      careOfAddress: FA_COA,
      encapsulation: 'minimal',
    });

    const g = await harness();
    g.send({ flags: { G: true, T: true } });
    expect((await g.ap.nextReply()).reply.code).toBe(0);
    expect(g.ha.bindings()[0]).toMatchObject({ encapsulation: 'gre', reverseTunnel: true });
  });
});

describe('home agent: authentication failures (131)', () => {
  it('denies a wrong key with bad-authenticator, and still signs the reply with the SA', async () => {
    const h = await harness();
    const f = h.fields();
    h.ap.send(encodeRequest(f, { spi: 300, key: OTHER_KEY, algorithm: 'prefix-suffix' }), {
      address: HA,
      port: h.ha.port,
    });
    const { reply, decoded } = await h.ap.nextReply();
    expect(reply).toMatchObject({ code: 131, lifetime: 0, homeAgent: HA, identification: f.identification });
    expect(verifyAuthentication(decoded, { spi: 300, key: KEY, algorithm: 'prefix-suffix' })).toBe('ok');
    expect(h.log.of('security-violation')).toEqual([
      expect.objectContaining({ reason: 'bad-authenticator', peer: AP, node: 'ha-1' }),
    ]);
    expect(h.log.of('request-denied')[0]).toMatchObject({
      code: 131,
      reason: 'ha_mn_failed_authentication',
      homeAddress: MN,
    });
    expect(h.ha.bindings()).toEqual([]);
    expect(h.dataPlane.actions).toEqual([]);
  });

  it('denies an unknown SPI with bad-spi', async () => {
    const h = await harness();
    h.send({}, { spi: 999, key: KEY });
    const { reply, decoded } = await h.ap.nextReply();
    expect(reply.code).toBe(131);
    expect(verifyAuthentication(decoded, { spi: 300, key: KEY, algorithm: 'prefix-suffix' })).toBe('ok');
    expect(h.log.of('security-violation').map((e) => e.reason)).toEqual(['bad-spi']);
  });

  it('denies a request without the Mobile-Home extension with missing-security-extension', async () => {
    const h = await harness();
    h.send({}, null);
    const { reply, decoded } = await h.ap.nextReply();
    expect(reply.code).toBe(131);
    expect(verifyAuthentication(decoded, { spi: 300, key: KEY, algorithm: 'prefix-suffix' })).toBe('ok');
    expect(h.log.of('security-violation').map((e) => e.reason)).toEqual(['missing-security-extension']);
  });

  it('denies a home address without an SA, replying unauthenticated', async () => {
    const h = await harness();
    h.send({ homeAddress: '127.0.10.99' });
    const { reply } = await h.ap.nextReply();
    expect(reply).toMatchObject({ code: 131, homeAddress: '127.0.10.99', extensions: [] });
    expect(h.log.of('security-violation').map((e) => e.reason)).toEqual(['no-mobility-security-association']);
    expect(homeAgentCounts(h.log)).toMatchObject({
      denied: 1,
      securityViolations: 1,
      repliesByCode: { 131: 1 },
    });
  });

  it('denies a zero home address as poorly formed (134)', async () => {
    const h = await harness();
    h.send({ homeAddress: '0.0.0.0' });
    expect((await h.ap.nextReply()).reply).toMatchObject({ code: 134, extensions: [] });
  });
});

describe('home agent: replay protection (133)', () => {
  it('timestamp mode: a request an hour ahead gets the HA time in the high bits and its own low bits', async () => {
    const h = await harness();
    const ahead = timestampId(h.scheduler.now() + 3_600_000, 0x5eed1234);
    h.send({ identification: ahead });
    const { reply, decoded } = await h.ap.nextReply();
    expect(reply.code).toBe(133);
    expect(reply.identification).not.toBe(ahead);
    expect(identificationHigh(reply.identification)).toBe(ntpSeconds(h.scheduler.now()));
    expect(identificationLow(reply.identification)).toBe(0x5eed1234);
    expect(reply.identification).toBe(makeIdentification(ntpSeconds(h.scheduler.now()), 0x5eed1234));
    expect(verifyAuthentication(decoded, { spi: 300, key: KEY, algorithm: 'prefix-suffix' })).toBe('ok');
    expect(h.log.of('security-violation').map((e) => e.reason)).toEqual(['bad-identifier']);
    expect(h.log.of('request-denied')[0]).toMatchObject({ code: 133, reason: 'ha_identification_mismatch' });
    expect(h.ha.bindings()).toEqual([]);
  });

  it('timestamp mode: accepts within the window, refuses just outside it', async () => {
    const h = await harness();
    h.send({ identification: timestampId(h.scheduler.now() - 7000, 1) });
    expect((await h.ap.nextReply()).reply.code).toBe(0);
    h.send({ identification: timestampId(h.scheduler.now() + 8000, 2) });
    expect((await h.ap.nextReply()).reply.code).toBe(133);
  });

  it('timestamp mode: refuses a replayed request and one older than the last accepted', async () => {
    const h = await harness();
    const first = encodeRequest(h.fields({ identification: timestampId(h.scheduler.now(), 0x77) }), {
      spi: 300,
      key: KEY,
      algorithm: 'prefix-suffix',
    });
    const to = { address: HA, port: h.ha.port };
    h.ap.send(first, to);
    expect((await h.ap.nextReply()).reply.code).toBe(0);
    h.ap.send(first, to);
    const replayed = await h.ap.nextReply();
    expect(replayed.reply.code).toBe(133);
    expect(replayed.reply.identification).toBe(makeIdentification(ntpSeconds(h.scheduler.now()), 0x77));
    // inside the window but below the accepted one
    h.send({ identification: timestampId(h.scheduler.now() - 1000, 0x78) });
    expect((await h.ap.nextReply()).reply.code).toBe(133);
    expect(h.log.of('binding-created')).toHaveLength(1);
    expect(h.log.of('binding-renewed')).toHaveLength(0);
  });

  it('nonce mode: first request gets 133 with a nonce, then is accepted with the next nonce', async () => {
    const h = await harness();
    const expected = seededRandom(SEED);
    const firstNonce = expected.uint32();
    const secondNonce = expected.uint32();
    h.send(
      { homeAddress: MN_NONCE, identification: makeIdentification(0, 0xaaaa0001) },
      { spi: 301, key: KEY },
    );
    const denied = await h.ap.nextReply();
    expect(denied.reply.code).toBe(133);
    expect(denied.reply.identification).toBe(makeIdentification(firstNonce, 0xaaaa0001));
    expect(verifyAuthentication(denied.decoded, { spi: 301, key: KEY, algorithm: 'prefix-suffix' })).toBe(
      'ok',
    );
    // the first request is no security violation: no nonce had been handed out yet
    expect(h.log.of('security-violation')).toEqual([]);

    h.send(
      { homeAddress: MN_NONCE, identification: makeIdentification(firstNonce, 0xaaaa0002) },
      { spi: 301, key: KEY },
    );
    const accepted = await h.ap.nextReply();
    expect(accepted.reply.code).toBe(0);
    expect(accepted.reply.identification).toBe(makeIdentification(secondNonce, 0xaaaa0002));
    expect(secondNonce).not.toBe(firstNonce);

    // the old nonce is spent
    h.send(
      { homeAddress: MN_NONCE, identification: makeIdentification(firstNonce, 0xaaaa0003) },
      { spi: 301, key: KEY },
    );
    const stale = await h.ap.nextReply();
    expect(stale.reply.code).toBe(133);
    expect(identificationLow(stale.reply.identification)).toBe(0xaaaa0003);
    expect(identificationHigh(stale.reply.identification)).toBe(expected.uint32());
    expect(h.log.of('security-violation').map((e) => e.reason)).toEqual(['bad-identifier']);
  });
});

describe('home agent: broadcast, probes and garbage', () => {
  it('answers a request to the directed broadcast address with 136 and its unicast address', async () => {
    const h = await harness({ extraListen: [BROADCAST] });
    expect(h.ha.broadcastAddress).toBe(BROADCAST);
    expect(h.ha.listening).toEqual([
      { address: HA, port: h.ha.port },
      { address: BROADCAST, port: h.ha.port },
    ]);
    const f = h.fields({ homeAgent: BROADCAST });
    h.ap.send(encodeRequest(f, { spi: 300, key: KEY, algorithm: 'prefix-suffix' }), {
      address: BROADCAST,
      port: h.ha.port,
    });
    const { reply, decoded, from } = await h.ap.nextReply();
    expect(reply).toMatchObject({
      code: 136,
      homeAgent: HA,
      homeAddress: MN,
      identification: f.identification,
    });
    expect(from.address).toBe(HA);
    expect(verifyAuthentication(decoded, { spi: 300, key: KEY, algorithm: 'prefix-suffix' })).toBe('ok');
    expect(h.log.of('request-denied')[0]).toMatchObject({
      code: 136,
      reason: 'ha_unknown_home_agent_address',
    });
    expect(h.ha.bindings()).toEqual([]);
    // retrying with the unicast address from the reply succeeds
    h.send({ homeAgent: reply.homeAgent });
    expect((await h.ap.nextReply()).reply.code).toBe(0);
  });

  it('answers an AAP probe (bad SPI and key, to the broadcast address) with a denial', async () => {
    const h = await harness({ extraListen: [BROADCAST] });
    const probe = h.fields({ homeAddress: '127.0.10.254', homeAgent: BROADCAST, lifetime: 1 });
    h.ap.send(encodeRequest(probe, { spi: 0xdead, key: OTHER_KEY, algorithm: 'prefix-suffix' }), {
      address: BROADCAST,
      port: h.ha.port,
    });
    const { reply } = await h.ap.nextReply();
    expect(reply).toMatchObject({ code: 131, homeAddress: '127.0.10.254', homeAgent: HA });
    expect(reply.identification).toBe(probe.identification);
    expect(h.ha.bindings()).toEqual([]);
  });

  it('counts garbage as malformed datagrams and keeps serving', async () => {
    const h = await harness();
    const to = { address: HA, port: h.ha.port };
    h.ap.send(Buffer.from([]), to);
    h.ap.send(Buffer.from([1, 0, 0]), to);
    h.ap.send(Buffer.from('not mobile ip at all'), to);
    const unknownExt = Buffer.concat([encodeRequest(h.fields()), Buffer.from([99, 2, 0, 0])]);
    h.ap.send(unknownExt, to);
    const reply = encodeRegistration({
      type: 'registration-reply',
      code: 0,
      lifetime: 10,
      homeAddress: MN,
      homeAgent: HA,
      identification: 1n,
      extensions: [],
    });
    h.ap.send(reply, to);
    await h.log.waitFor('malformed-datagram', 5);
    expect(h.log.of('malformed-datagram').map((e) => [e.errorKind, e.socket, e.peer])).toEqual([
      ['truncated', 'registration', AP],
      ['truncated', 'registration', AP],
      ['unknown-type', 'registration', AP],
      ['unknown-extension', 'registration', AP],
      ['unexpected-reply', 'registration', AP],
    ]);
    expect(await h.ap.quietFor(50)).toBe(0);
    h.send({});
    expect((await h.ap.nextReply()).reply.code).toBe(0);
    expect(h.log.of('malformed-datagram').filter((e) => e.socket === 'registration').length).toBe(5);
  });
});

describe('home agent: advertisements', () => {
  it('advertises with the H flag, its lifetime limit and prefix length, and answers solicitations', async () => {
    const listener = await Inbox.bind('127.0.20.2');
    open.push(listener);
    const h = await harness({ advertisements: { intervalMs: 10_000, peers: [listener.peer] } });
    const first = decodeIcmpMobility((await listener.next()).payload);
    expect(first).toMatchObject({
      type: 'agent-advertisement',
      sequence: 0,
      registrationLifetime: 300,
      careOfAddresses: [],
      routerAddresses: [{ address: HA, preference: 0 }],
      prefixLengths: [24],
      routerLifetime: 30,
    });
    if (first.type !== 'agent-advertisement') throw new Error('unreachable');
    expect(first.flags).toMatchObject({ H: true, F: false, R: false });
    const adv = h.ha.advertiser!;
    listener.send(encodeAgentSolicitation(), { address: HA, port: adv.port });
    const solicited = await listener.next();
    expect(solicited.from).toEqual({ address: HA, port: adv.port });
    expect(decodeIcmpMobility(solicited.payload)).toMatchObject({ sequence: 1 });
    h.scheduler.advance(10_000);
    expect(decodeIcmpMobility((await listener.next()).payload)).toMatchObject({ sequence: 2 });
    expect(h.log.of('advertisement-sent').map((e) => [e.sequence, e.nodeKind])).toEqual([
      [0, 'home-agent'],
      [1, 'home-agent'],
      [2, 'home-agent'],
    ]);
    expect(h.log.of('advertisement-sent').length).toBe(3);
  });

  it('refuses a configuration without a home network', async () => {
    await expect(
      HomeAgent.start(
        {
          id: 'ha-x',
          address: HA,
          port: 0,
          maxLifetime: 300,
          securityAssociations: new LocalSecurityAssociations(),
        },
        { scheduler: new FakeScheduler(), random: seededRandom(1), emit: () => undefined },
      ),
    ).rejects.toThrow(
      'homeAgents[ha-x].subnet: a home agent needs its home network (subnet or prefixLength)',
    );
  });
});
