import { afterEach, describe, expect, it } from 'vitest';
import {
  AccessPoint,
  type AccessPointConfig,
  type AccessPointDeps,
} from '../../../src/pmip/proxy/access-point.ts';
import { FakeScheduler } from '../../../src/pmip/runtime/scheduler.ts';
import {
  UdpEndpoint,
  udpPortBindable,
  type BindDatagramSocket,
  type Peer,
} from '../../../src/pmip/runtime/udp.ts';
import { SimulatedDataPlane, type DataPlaneAction } from '../../../src/pmip/runtime/data-plane.ts';
import { LocalSecurityAssociations } from '../../../src/pmip/security/store.ts';
import { SubnetMapTable } from '../../../src/pmip/subnet-map/table.ts';
import {
  decodeRegistration,
  encodeRegistration,
  seededRandom,
  type RegistrationRequest,
} from '../../../src/pmip/wire/index.ts';
import { EventRecorder } from '../../support/event-recorder.ts';
import { FakeSocket } from '../../support/fake-socket.ts';

/**
 * The access point with its sockets injected (AccessPointDeps.bind): start-up when a bind fails,
 * and decisions driven datagram by datagram through a fake socket, with a fake clock and no UDP.
 */

const KEY = '00112233445566778899aabbccddeeff';
const HA = '10.1.0.1';
const FA: Peer = { address: '10.2.0.2', port: 434 };
const CLIENT = { mac: '02:00:00:00:00:07', address: '10.1.0.50', ssid: 'corp' };

function config(over: Partial<AccessPointConfig> = {}): AccessPointConfig {
  return {
    id: 'ap-t',
    address: '10.2.0.10',
    subnet: '10.2.0.0/24',
    ssids: [{ name: 'corp', pmip: true }],
    aaps: [],
    subnetMapExchange: false,
    ...over,
  };
}

class Rig {
  readonly scheduler = new FakeScheduler(Date.UTC(2026, 0, 1));
  readonly recorder = new EventRecorder();
  readonly sockets: FakeSocket[] = [];
  readonly dataPlane = new SimulatedDataPlane();
  failDataPlane = false;
  readonly deps: AccessPointDeps;

  constructor(bind?: BindDatagramSocket) {
    const subnetMap = new SubnetMapTable();
    subnetMap.upsert(HA, '255.255.255.0', 'config', this.scheduler.now());
    const plane = this.dataPlane;
    this.deps = {
      scheduler: this.scheduler,
      random: seededRandom(7),
      emit: this.recorder.emit,
      dataPlane: {
        apply: (a: DataPlaneAction) => {
          if (this.failDataPlane) throw new Error('data plane down (expected)');
          plane.apply(a);
        },
      },
      securityAssociations: new LocalSecurityAssociations([
        { address: '10.1.0.32', rangeEnd: '10.1.0.254', spi: 300, keyHex: KEY },
      ]),
      subnetMap,
      bind:
        bind ??
        (async (options) => {
          const s = new FakeSocket(options, 40_000 + this.sockets.length);
          this.sockets.push(s);
          return s;
        }),
    };
  }

  /** The last request the access point sent, decoded. */
  lastRequest(): RegistrationRequest {
    const sent = this.sockets[0]!.sent;
    return decodeRegistration(sent[sent.length - 1]!.bytes) as RegistrationRequest;
  }

  /** The home agent's reply (through the foreign agent) to the last request. */
  reply(code: number, lifetime = 600): void {
    const req = this.lastRequest();
    const bytes = encodeRegistration(
      {
        type: 'registration-reply',
        code,
        lifetime,
        homeAddress: req.homeAddress,
        homeAgent: req.homeAgent,
        identification: req.identification,
        extensions: [],
      },
      { type: 32, spi: 300, key: Buffer.from(KEY, 'hex'), algorithm: 'prefix-suffix' },
    );
    this.sockets[0]!.deliver(bytes, FA);
  }
}

/** Lets the SA lookup's await run. */
const ticks = () => new Promise((r) => setImmediate(r));

describe('access point sockets, injected', () => {
  const open: AccessPoint[] = [];
  afterEach(async () => {
    for (const ap of open.splice(0)) await ap.stop();
  });

  it('a failed second bind closes the first socket and start rejects with the bind error', async () => {
    const bound: FakeSocket[] = [];
    const bind: BindDatagramSocket = async (options) => {
      if (bound.length === 1) throw new Error('EADDRINUSE (expected)');
      const s = new FakeSocket(options, 40_100);
      bound.push(s);
      return s;
    };
    const rig = new Rig(bind);
    await expect(AccessPoint.start(config(), rig.deps)).rejects.toThrow('EADDRINUSE (expected)');
    expect(bound).toHaveLength(1);
    expect(bound[0]!.closed).toBe(1); // was: left bound, the first socket leaked
  });

  it('over real UDP: after a failed advertisement bind the registration port is free again', async () => {
    let first: UdpEndpoint | undefined;
    const bind: BindDatagramSocket = async (options) => {
      if (first) throw new Error('advertisement port taken (expected)');
      first = await UdpEndpoint.bind(options);
      return first;
    };
    const rig = new Rig(bind);
    const cfg = config({ address: '127.0.0.1', subnet: '127.0.0.0/8' });
    await expect(AccessPoint.start(cfg, rig.deps)).rejects.toThrow('advertisement port taken');
    expect(first).toBeDefined();
    expect(await udpPortBindable('127.0.0.1', first!.port)).toBe(true);
  });

  it('binds through the injected bind: registration and advertisement sockets', async () => {
    const rig = new Rig();
    const ap = await AccessPoint.start(config(), rig.deps);
    open.push(ap);
    expect(rig.sockets.map((s) => s.port)).toEqual([40_000, 40_001]);
    expect(ap.ports).toEqual({ registration: 40_000, advertisement: 40_001 });
    await ap.stop();
    expect(rig.sockets.map((s) => s.closed)).toEqual([1, 1]);
  });

  it('a data plane that fails on an acceptance ends the attempt discarded/data-plane-error, then retries', async () => {
    const rig = new Rig();
    const ap = await AccessPoint.start(
      config({ foreignAgent: { address: FA.address, port: FA.port }, retryAfterFailureMs: 5000 }),
      rig.deps,
    );
    open.push(ap);
    rig.failDataPlane = true;
    ap.associate(CLIENT);
    await ticks();
    expect(rig.sockets[0]!.sent.map((s) => s.to)).toEqual([FA]);
    rig.reply(0);
    // The reply was received and verified; the attempt had no effect at the access point.
    expect(rig.recorder.of('reply-received').map((e) => [e.code, e.accepted])).toEqual([[0, true]]);
    expect(rig.recorder.of('registration-outcome').map((e) => `${e.outcome}/${e.reason}`)).toEqual([
      'discarded/data-plane-error',
    ]);
    expect(rig.recorder.of('malformed-datagram')).toEqual([]); // not a datagram problem
    expect(ap.client(CLIENT.mac)?.state).toBe('isolated');
    expect(rig.dataPlane.actions).toEqual([]);

    // The back-off retry, with the data plane working again, is accepted and forwards.
    rig.failDataPlane = false;
    rig.scheduler.advance(5000);
    await ticks();
    expect(rig.sockets[0]!.sent).toHaveLength(2);
    rig.reply(0);
    expect(rig.recorder.of('registration-outcome').map((e) => `${e.outcome}/${e.reason}`)).toEqual([
      'discarded/data-plane-error',
      'accepted/accepted',
    ]);
    expect(ap.client(CLIENT.mac)?.state).toBe('registered');
    expect(rig.dataPlane.actions).toEqual([
      { action: 'forward-to-foreign-agent', clientMac: CLIENT.mac, careOfAddress: FA.address },
    ]);
  });

  it('a 133 reply, judged without UDP: one time-sync with the offset, then a request on the home agent clock', async () => {
    const rig = new Rig();
    const ap = await AccessPoint.start(
      config({ foreignAgent: { address: FA.address, port: FA.port } }),
      rig.deps,
    );
    open.push(ap);
    ap.associate(CLIENT);
    await ticks();
    const first = rig.lastRequest();
    // The home agent is 100 s ahead: it puts its own time in the high 32 bits of the reply.
    const req = rig.lastRequest();
    const haSeconds = Number(req.identification >> 32n) + 100;
    const bytes = encodeRegistration(
      {
        type: 'registration-reply',
        code: 133,
        lifetime: 0,
        homeAddress: req.homeAddress,
        homeAgent: req.homeAgent,
        identification: (BigInt(haSeconds) << 32n) | (req.identification & 0xffffffffn),
        extensions: [],
      },
      { type: 32, spi: 300, key: Buffer.from(KEY, 'hex'), algorithm: 'prefix-suffix' },
    );
    rig.sockets[0]!.deliver(bytes, FA);
    await ticks();
    const syncs = rig.recorder.of('time-sync');
    expect(syncs).toHaveLength(1);
    expect(syncs[0]!.mode).toBe('timestamp');
    // Our clock did not move (fake): the offset is the 100 s plus up to one second of rounding.
    expect(syncs[0]!.offsetSeconds).toBeGreaterThan(99);
    expect(syncs[0]!.offsetSeconds).toBeLessThan(101);
    expect(ap.offsetFor(HA)).toBe(syncs[0]!.offsetSeconds);
    const second = rig.lastRequest();
    expect(second).not.toBe(first);
    expect(Number(second.identification >> 32n)).toBeGreaterThanOrEqual(haSeconds - 1);
    expect(rig.recorder.of('registration-outcome').map((e) => `${e.outcome}/${e.code}`)).toEqual([
      'denied/133',
    ]);
  });
});
