import { describe, expect, it } from 'vitest';
import { ForeignAgent } from '../../../src/pmip/agents/foreign-agent.ts';
import { HomeAgent, type HomeAgentConfig } from '../../../src/pmip/agents/home-agent.ts';
import { FakeScheduler } from '../../../src/pmip/runtime/scheduler.ts';
import type { Peer } from '../../../src/pmip/runtime/udp.ts';
import { LocalSecurityAssociations } from '../../../src/pmip/security/store.ts';
import {
  decodeRegistration,
  encodeRegistration,
  seededRandom,
  type RegistrationReply,
} from '../../../src/pmip/wire/index.ts';
import { fakeNetwork } from '../../support/fake-socket.ts';
import { EventLog, encodeRequest, timestampId, type RequestFields } from './helpers.ts';

/**
 * The agents' one lifecycle with the sockets injected (AgentDeps.bind, as the AAP and the access
 * point take it): start-up that fails half-way closes what it bound, and the home and foreign
 * agents answer and relay datagram by datagram through fake sockets, with no UDP at all.
 */
const KEY_HEX = '00112233445566778899aabbccddeeff';
const AUTH = { spi: 300, key: Buffer.from(KEY_HEX, 'hex'), algorithm: 'prefix-suffix' as const };
const HA = '10.1.0.1';
const FA = '10.2.0.2';
const MN = '10.1.0.50';
const AP: Peer = { address: '10.2.0.10', port: 40434 };

function homeAgentConfig(over: Partial<HomeAgentConfig> = {}): HomeAgentConfig {
  return {
    id: 'ha-fake',
    address: HA,
    port: 434,
    subnet: '10.1.0.0/24',
    maxLifetime: 300,
    securityAssociations: new LocalSecurityAssociations([{ address: MN, spi: AUTH.spi, keyHex: KEY_HEX }]),
    ...over,
  };
}

/** Lets the home agent's SA lookup (a promise) settle. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('agent lifecycle with injected sockets', () => {
  it('a home agent whose second bind fails closes the first socket and rejects', async () => {
    const net = fakeNetwork(1);
    const scheduler = new FakeScheduler();
    const log = new EventLog();
    await expect(
      HomeAgent.start(homeAgentConfig({ extraListen: ['10.1.0.255'] }), {
        scheduler,
        random: seededRandom(1),
        emit: log.emit,
        bind: net.bind,
      }),
    ).rejects.toThrow(/EADDRINUSE/);
    expect(net.sockets.map((s) => [s.address, s.port, s.closed])).toEqual([[HA, 434, 1]]);
  });

  it('a foreign agent whose advertisement bind fails closes its registration socket', async () => {
    const net = fakeNetwork(1);
    await expect(
      ForeignAgent.start(
        { id: 'fa-fake', address: FA, port: 434, maxLifetime: 300, advertisements: { port: 0 } },
        { scheduler: new FakeScheduler(), random: seededRandom(2), emit: () => undefined, bind: net.bind },
      ),
    ).rejects.toThrow(/EADDRINUSE/);
    expect(net.sockets.map((s) => [s.address, s.closed])).toEqual([[FA, 1]]);
  });

  it('a home agent answers a request through a fake socket; stop closes every socket once', async () => {
    const net = fakeNetwork();
    const scheduler = new FakeScheduler();
    const log = new EventLog();
    const ha = await HomeAgent.start(homeAgentConfig({ extraListen: ['10.1.0.255'] }), {
      scheduler,
      random: seededRandom(3),
      emit: log.emit,
      bind: net.bind,
    });
    expect(ha.listening).toEqual([
      { address: HA, port: 434 },
      { address: '10.1.0.255', port: 434 },
    ]);
    const fields: RequestFields = {
      homeAddress: MN,
      homeAgent: HA,
      careOfAddress: '10.2.0.2',
      lifetime: 600,
      identification: timestampId(scheduler.now(), 7),
    };
    // Delivered on the broadcast socket; answered from the unicast one (the first bound).
    net.sockets[1]!.deliver(encodeRequest(fields, AUTH), AP);
    await settle();
    expect(net.sockets[1]!.sent).toEqual([]);
    const [out] = net.sockets[0]!.sent;
    expect(out?.to).toEqual(AP);
    expect(decodeRegistration(out!.bytes)).toMatchObject({ code: 0, lifetime: 300, homeAgent: HA });
    expect(log.types()).toEqual([
      'request-received',
      'arp-sent',
      'arp-sent',
      'binding-created',
      'reply-sent',
    ]);
    await ha.stop();
    expect(net.sockets.map((s) => s.closed)).toEqual([1, 1]);
    // After stop nothing is answered.
    net.sockets[0]!.deliver(
      encodeRequest({ ...fields, identification: timestampId(scheduler.now(), 8) }, AUTH),
      AP,
    );
    await settle();
    expect(net.sockets[0]!.sent).toHaveLength(1);
  });

  it('a foreign agent relays a request and the reply unchanged through a fake socket', async () => {
    const net = fakeNetwork();
    const scheduler = new FakeScheduler();
    const log = new EventLog();
    const fa = await ForeignAgent.start(
      { id: 'fa-fake', address: FA, port: 434, maxLifetime: 300, homeAgentPort: 4343 },
      { scheduler, random: seededRandom(4), emit: log.emit, bind: net.bind },
    );
    const socket = net.sockets[0]!;
    const fields: RequestFields = {
      homeAddress: MN,
      homeAgent: HA,
      careOfAddress: FA,
      lifetime: 200,
      identification: timestampId(scheduler.now(), 9),
    };
    const requestBytes = encodeRequest(fields, AUTH);
    socket.deliver(requestBytes, AP);
    expect(socket.sent).toEqual([{ bytes: requestBytes, to: { address: HA, port: 4343 } }]);
    expect(fa.pending()).toHaveLength(1);
    const reply: RegistrationReply = {
      type: 'registration-reply',
      code: 0,
      lifetime: 200,
      homeAddress: MN,
      homeAgent: HA,
      identification: fields.identification,
      extensions: [],
    };
    const replyBytes = encodeRegistration(reply, AUTH);
    socket.deliver(replyBytes, { address: HA, port: 4343 });
    expect(socket.sent[1]).toEqual({ bytes: replyBytes, to: AP });
    expect(fa.visitors()).toEqual([expect.objectContaining({ homeAddress: MN, lifetime: 200 })]);
    expect(log.types()).toEqual(['request-received', 'request-relayed', 'visitor-added', 'reply-sent']);
    await fa.stop();
    expect(socket.closed).toBe(1);
  });
});
