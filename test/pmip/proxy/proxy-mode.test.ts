/**
 * Proxy-mode authentication (RFC 5563 section 3.1) between an access point and this project's
 * home agent, through a foreign agent, over real UDP on loopback with a fake clock: requests
 * carry extension 47 (method FA-HA) and the Foreign-Home extension (34) with a per-node SA and no
 * Mobile-Home extension; replies carry 34 only. A wrong per-node key is refused (132) and shown
 * as unauthenticated at the access point; a 133 resynchronises in one extra round trip.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HomeAgent } from '../../../src/pmip/agents/home-agent.ts';
import { skewedScheduler } from '../../../src/pmip/runtime/scheduler.ts';
import { perNodeSecurityAssociation } from '../../../src/pmip/security/per-node.ts';
import { decodeRegistration, seededRandom, type RegistrationMessage } from '../../../src/pmip/wire/index.ts';
import { FA, HA, KEY, settle, startLab, waitUntil, type Lab } from '../../support/lab-site.ts';

const NODE_KEY = '8899aabbccddeeff0011223344556677';
const WRONG_NODE_KEY = '0011223344556677aabbccddeeff8899';
const NODE_SPI = 4242;

describe('proxy-mode authentication (per-node SA, extensions 47 + 34)', () => {
  let lab: Lab;
  let ha: HomeAgent;
  /** Every registration message the home agent's foreign agent saw go by, decoded (a tap on ha-A). */
  const seen: RegistrationMessage[] = [];
  let tap: Socket;

  beforeAll(async () => {
    lab = await startLab({ staticForeignAgents: true, retryAfterFailureMs: 60_000 });
    // ha-A again, now with a per-node SA (and the client SAs: plain requests still work).
    await lab.ha('A').stop();
    ha = await HomeAgent.start(
      {
        id: 'ha-A',
        address: HA('A'),
        port: lab.port,
        subnet: '127.0.1.0/24',
        maxLifetime: 1800,
        securityAssociations: lab.haSas,
        perNodeSecurityAssociations: [perNodeSecurityAssociation({ spi: NODE_SPI, keyHex: NODE_KEY })],
      },
      { scheduler: lab.scheduler, random: seededRandom(501), emit: lab.recorder.emit },
    );
    lab.homeAgents.set('A', ha);
    tap = createSocket('udp4');
    await new Promise<void>((r) => tap.bind(0, '127.0.1.1', () => r()));
  });
  afterAll(async () => {
    tap.close();
    await lab.stop();
  });

  async function proxyAccessPoint(id: string, address: string, keyHex: string, clockOffsetMs = 0) {
    const sa = perNodeSecurityAssociation({ spi: NODE_SPI, keyHex });
    const ap = await lab.extraAccessPoint(
      {
        id,
        address,
        foreignAgent: { address: FA('B'), port: lab.port },
        perNodeSecurityAssociation: (homeAgent) => (homeAgent === HA('A') ? sa : undefined),
      },
      700 + Number(address.split('.')[3]),
    );
    if (clockOffsetMs !== 0) {
      // The lab's extra access point runs on the lab's clock; a skewed one is started by hand.
      await ap.stop();
      const { AccessPoint } = await import('../../../src/pmip/proxy/access-point.ts');
      const { LocalSecurityAssociations } = await import('../../../src/pmip/security/store.ts');
      return AccessPoint.start(
        {
          id,
          address,
          subnet: '127.0.2.0/24',
          ssids: [{ name: 'corp', pmip: true }],
          aaps: ['127.0.1.10'],
          homeAgentPort: lab.port,
          foreignAgentPort: lab.port,
          foreignAgent: { address: FA('B'), port: lab.port },
          perNodeSecurityAssociation: (homeAgent) => (homeAgent === HA('A') ? sa : undefined),
        },
        {
          scheduler: skewedScheduler(lab.scheduler, clockOffsetMs),
          random: seededRandom(900),
          emit: lab.recorder.emit,
          dataPlane: { apply: () => undefined },
          securityAssociations: new LocalSecurityAssociations(lab.bindings(KEY)),
          subnetMap: lab.subnetMap,
        },
      );
    }
    return ap;
  }

  const outcomes = (node: string, address: string) =>
    lab.recorder.of('registration-outcome', node).filter((e) => e.client.address === address);

  it('is accepted: the home agent binds the client to the foreign agent, verified with 34 only', async () => {
    const ap = await proxyAccessPoint('ap-proxy', '127.0.2.30', NODE_KEY);
    try {
      // The client has no SA of its own at the access point's store? It does (lab bindings), but
      // proxy mode must not use it: the home agent would refuse a Mobile-Home extension here.
      ap.associate({ mac: '02:00:00:00:0e:01', address: '127.0.1.90', ssid: 'corp' });
      await waitUntil(() => outcomes('ap-proxy', '127.0.1.90').length > 0, 'an outcome');
      expect(outcomes('ap-proxy', '127.0.1.90')[0]).toMatchObject({ outcome: 'accepted', code: 0 });
      const binding = ha.bindings().find((b) => b.homeAddress === '127.0.1.90');
      expect(binding?.careOfAddress).toBe(FA('B'));
      expect(lab.recorder.of('security-violation', 'ha-A')).toEqual([]);
    } finally {
      await ap.stop();
    }
  });

  it('the request carries 47 (method 1) and 34 with the per-node SPI, no 32; the reply 34 only', async () => {
    // Send a request built by the access point to the tap instead: point an access point's
    // "home agent" port at the tap by registering directly (co-located) with the tap's port.
    const sa = perNodeSecurityAssociation({ spi: NODE_SPI, keyHex: NODE_KEY });
    const ap = await lab.extraAccessPoint(
      {
        id: 'ap-proxy-tap',
        address: '127.0.2.31',
        colocatedCareOfAddress: true,
        homeAgentPort: tap.address().port,
        perNodeSecurityAssociation: () => sa,
      },
      731,
    );
    tap.on('message', (m) => seen.push(decodeRegistration(m)));
    try {
      ap.associate({ mac: '02:00:00:00:0e:02', address: '127.0.1.91', ssid: 'corp' });
      await waitUntil(() => seen.length > 0, 'a request at the tap');
      const req = seen[0]!;
      expect(req.type).toBe('registration-request');
      expect(req.extensions.map((e) => [e.type, e.kind])).toEqual([
        [47, 'long'],
        [34, 'auth'],
      ]);
      expect(req.extensions[0]).toMatchObject({ subtype: 1, data: Buffer.from([1]) });
      expect(req.extensions[1]).toMatchObject({ spi: NODE_SPI });
    } finally {
      await ap.stop();
    }
    // The home agent's reply to an accepted proxy-mode request: 34 with the per-node SPI, no 32.
    const replies: RegistrationMessage[] = [];
    const client = createSocket('udp4');
    await new Promise<void>((r) => client.bind(0, '127.0.2.32', () => r()));
    client.on('message', (m) => replies.push(decodeRegistration(m)));
    const { encodeRegistration, requestFlags, ntpTimestamp } =
      await import('../../../src/pmip/wire/index.ts');
    const bytes = encodeRegistration(
      {
        type: 'registration-request',
        flags: requestFlags({ D: true }),
        lifetime: 300,
        homeAddress: '127.0.1.92',
        homeAgent: HA('A'),
        careOfAddress: '127.0.2.32',
        identification: ntpTimestamp(lab.scheduler.now(), seededRandom(5), 0),
        extensions: [{ kind: 'long', type: 47, subtype: 1, data: Buffer.from([1]) }],
      },
      { type: 34, spi: NODE_SPI, key: Buffer.from(NODE_KEY, 'hex'), algorithm: 'prefix-suffix' },
    );
    client.send(bytes, lab.port, HA('A'));
    await waitUntil(() => replies.length > 0, 'the reply');
    client.close();
    const reply = replies[0]!;
    expect(reply).toMatchObject({ type: 'registration-reply', code: 0 });
    expect(reply.extensions.map((e) => e.type)).toEqual([34]);
    expect(reply.extensions[0]).toMatchObject({ spi: NODE_SPI });
  });

  it('a short-form extension 47 (as some proxies write it) is accepted too, and counted as lenient', async () => {
    const replies: RegistrationMessage[] = [];
    const client = createSocket('udp4');
    await new Promise<void>((r) => client.bind(0, '127.0.2.35', () => r()));
    client.on('message', (m) => replies.push(decodeRegistration(m)));
    const { encodeRegistration, requestFlags, ntpTimestamp } =
      await import('../../../src/pmip/wire/index.ts');
    const bytes = encodeRegistration(
      {
        type: 'registration-request',
        flags: requestFlags({ D: true }),
        lifetime: 300,
        homeAddress: '127.0.1.95',
        homeAgent: HA('A'),
        careOfAddress: '127.0.2.35',
        identification: ntpTimestamp(lab.scheduler.now(), seededRandom(6), 0),
        extensions: [{ kind: 'long', type: 47, subtype: 1, data: Buffer.from([1]), form: 'short' }],
      },
      { type: 34, spi: NODE_SPI, key: Buffer.from(NODE_KEY, 'hex'), algorithm: 'prefix-suffix' },
    );
    expect(bytes.subarray(24, 28).toString('hex')).toBe('2f020101');
    client.send(bytes, lab.port, HA('A'));
    await waitUntil(() => replies.length > 0, 'the reply');
    client.close();
    expect(replies[0]).toMatchObject({ type: 'registration-reply', code: 0 });
    expect(lab.recorder.of('lenient-decode', 'ha-A')).toEqual([
      expect.objectContaining({ what: 'ext47-short-form', socket: 'registration', peer: '127.0.2.35' }),
    ]);
  });

  it('a wrong per-node key is refused (132) and shown as unauthenticated at the access point', async () => {
    const ap = await proxyAccessPoint('ap-wrong', '127.0.2.33', WRONG_NODE_KEY);
    try {
      ap.associate({ mac: '02:00:00:00:0e:03', address: '127.0.1.93', ssid: 'corp' });
      await waitUntil(
        () => lab.recorder.of('request-denied', 'ha-A').some((e) => e.homeAddress === '127.0.1.93'),
        'the denial',
      );
      expect(
        lab.recorder.of('request-denied', 'ha-A').filter((e) => e.homeAddress === '127.0.1.93')[0],
      ).toMatchObject({ code: 132 });
      expect(lab.recorder.of('security-violation', 'ha-A').map((e) => e.reason)).toContain(
        'bad-authenticator',
      );
      // The reply is authenticated with the home agent's (right) per-node key: the access point
      // cannot verify it, says so, and after its retransmissions concludes "unauthenticated".
      await waitUntil(
        () => lab.recorder.of('security-violation', 'ap-wrong').length > 0,
        'the access point to refuse the reply',
      );
      for (let i = 0; i < 8 && outcomes('ap-wrong', '127.0.1.93').length === 0; i++) {
        lab.scheduler.advance(16_000);
        await settle(40);
      }
      expect(outcomes('ap-wrong', '127.0.1.93')[0]).toMatchObject({ outcome: 'unauthenticated', code: 132 });
      expect(ha.bindings().some((b) => b.homeAddress === '127.0.1.93')).toBe(false);
    } finally {
      await ap.stop();
    }
  });

  it('133 (clock an hour ahead) resynchronises in one extra round trip', async () => {
    const ap = await proxyAccessPoint('ap-skew', '127.0.2.34', NODE_KEY, 3600_000);
    try {
      ap.associate({ mac: '02:00:00:00:0e:04', address: '127.0.1.94', ssid: 'corp' });
      const replies = () =>
        lab.recorder
          .of('reply-received', 'ap-skew')
          .filter((e) => e.client.address === '127.0.1.94')
          .map((e) => e.code);
      await waitUntil(() => replies().includes(0), 'the accepted reply');
      // One 133 (verified with 34 and the per-node SA), one resync, then accepted: 2 requests.
      expect(replies()).toEqual([133, 0]);
      const sent = lab.recorder
        .of('registration-sent', 'ap-skew')
        .filter((e) => e.client.address === '127.0.1.94');
      expect(sent).toHaveLength(2);
      expect(lab.recorder.of('time-sync', 'ap-skew')).toHaveLength(1);
      expect(lab.recorder.of('security-violation', 'ap-skew')).toEqual([]);
      expect(ha.bindings().find((b) => b.homeAddress === '127.0.1.94')?.careOfAddress).toBe(FA('B'));
    } finally {
      await ap.stop();
    }
  });
});

describe('proxy mode in the configuration and the statistics', () => {
  const yaml = `
accessPoints:
  - id: ap-1
    address: 10.2.0.10
    subnet: 10.2.0.0/24
    ssids: [{ name: corp }]
securityAssociations:
  local: [{ address: 10.1.0.5, spi: 256, key: 00112233445566778899aabbccddeeff }]
  perNode: [{ homeAgent: 10.1.0.1, spi: 4242, key: ${NODE_KEY} }]
subnetMap:
  - { homeAgent: 10.1.0.1, mask: 255.255.255.0, name: ha-north }
  - { homeAgent: 10.3.0.1, mask: 255.255.255.0 }
homeAgents:
  - id: ha-lab
    address: 10.4.0.1
    subnet: 10.4.0.0/24
    perNodeSecurityAssociations: [{ spi: 4242, key: ${NODE_KEY} }]
`;

  it('per-node SAs reach the access point (by home agent) and the hosted home agent', async () => {
    const { parseSiteConfig } = await import('../../../src/config/load.ts');
    const { accessPointConfig, homeAgentConfig, localSecurityAssociations } =
      await import('../../../src/app/site-config.ts');
    const site = parseSiteConfig(yaml);
    const ap = accessPointConfig(site.accessPoints[0]!, site.securityAssociations);
    expect(ap.perNodeSecurityAssociation?.('10.1.0.1')).toMatchObject({ spi: 4242 });
    expect(ap.perNodeSecurityAssociation?.('10.3.0.1')).toBeUndefined();
    // The key stays out of JSON.
    expect(JSON.stringify(ap.perNodeSecurityAssociation?.('10.1.0.1'))).not.toContain(NODE_KEY);
    const ha = homeAgentConfig(site.homeAgents[0]!, localSecurityAssociations(site.securityAssociations));
    expect(ha.perNodeSecurityAssociations?.map((s) => s.spi)).toEqual([4242]);
  });

  it('the statistics say which mode each home agent gets: /metrics, the JSON and the page', async () => {
    const { Collector } = await import('../../../src/collector/collector.ts');
    const { createPrometheusExporter } = await import('../../../src/exporters/prometheus.ts');
    const { statisticsDocument } = await import('../../../src/exporters/statistics.ts');
    const c = new Collector({
      accessPoints: ['ap-1'],
      homeAgents: [{ id: 'ha-north', address: '10.1.0.1' }],
      homeAgentAuthentication: [
        { homeAgent: 'ha-north', mode: 'per-node' },
        { homeAgent: '10.3.0.1', mode: 'mobile-home' },
      ],
    });
    const text = await createPrometheusExporter({ collector: c, defaultMetrics: false }).render();
    expect(text).toContain('pmip_home_agent_authentication_info{home_agent="ha-north",mode="per_node"} 1\n');
    expect(text).toContain(
      'pmip_home_agent_authentication_info{home_agent="10.3.0.1",mode="mobile_home"} 1\n',
    );
    expect(text).not.toContain(NODE_KEY);
    expect(statisticsDocument(c.snapshot()).homeAgentAuthentication).toEqual([
      { homeAgent: 'ha-north', mode: 'per-node' },
      { homeAgent: '10.3.0.1', mode: 'mobile-home' },
    ]);
  });
});
