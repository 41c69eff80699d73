/**
 * SAs from a real FreeRADIUS 3.2, through the engine: an access point whose site has no local
 * bindings registers clients with its home agent (hosted in the same process, configured with the
 * same keys as the users file) using the SAs FreeRADIUS hands out, in the Cisco av-pair style and
 * the 3GPP2 style; rejects, malformed answers, a wrong shared secret, stopped servers (timeouts,
 * failover, hold-down) each end in an outcome that says why, are counted by server, and no key,
 * secret or password shows in /metrics, the pages, the JSON or the log.
 */
import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { sitePlan } from '../../../../src/app/site-config.ts';
import { startHost, type Host } from '../../../../src/app/host.ts';
import { parseSiteConfig } from '../../../../src/config/load.ts';
import { lookUpSecurityAssociation } from '../../../../src/cli/config.ts';
import { startAssociationsServer } from '../../../../src/associations/http-api.ts';
import { freeUdpPort, hasFreeRadius, startFreeRadius, type FreeRadius } from '../../../support/freeradius.ts';
import { waitFor } from '../../../support/wait.ts';

const SECRET = 'radius-Shared-SECRET-16';
const PASSWORD = 'client-PASSWORD-16';
const CISCO_KEY = '5a0c3f7e9b1d2a4c6e8f0a1b2c3d4e5f';
const TGPP2_KEY = 'TgppKey-0123456789';
const NAI = 'mn-3gpp2@pmip.test';
const HA = '127.216.0.1';
const CLIENT = {
  cisco: '127.216.0.20',
  tgpp2: '127.216.0.21',
  rejected: '127.216.0.30',
  malformed: '127.216.0.31',
  late: '127.216.0.40',
  last: '127.216.0.41',
};

const USERS = `${CLIENT.cisco}  Cleartext-Password := "${PASSWORD}"
        Cisco-AVPair = "mobileip:spi#0=spi 300 key hex ${CISCO_KEY} algorithm hmac-md5 replay timestamp within 9"
${NAI}  Cleartext-Password := "${PASSWORD}"
        3GPP2-Home-Agent-IP-Address = ${HA},
        3GPP2-MN-HA-SPI = 256,
        3GPP2-MN-HA-Shared-Key = "${TGPP2_KEY}"
${CLIENT.malformed}  Cleartext-Password := "${PASSWORD}"
        Cisco-AVPair = "mobileip:spi#0=spi 12 key hex 00ff"
${CLIENT.late}  Cleartext-Password := "${PASSWORD}"
        Cisco-AVPair = "mobileip:spi#0=spi 301 key hex ${CISCO_KEY}"
${CLIENT.last}  Cleartext-Password := "${PASSWORD}"
        Cisco-AVPair = "mobileip:spi#0=spi 301 key hex ${CISCO_KEY}"
`;
const SECRETS = [
  SECRET,
  PASSWORD,
  CISCO_KEY,
  CISCO_KEY.toUpperCase(),
  TGPP2_KEY,
  Buffer.from(TGPP2_KEY).toString('hex'),
  'wrong-SECRET-16',
];

function siteDoc(servers: Array<Record<string, unknown>>, extra: Record<string, unknown> = {}) {
  return {
    site: { name: 'radius-lab' },
    accessPoints: [
      {
        id: 'ap-r',
        address: '127.216.1.10',
        subnet: '127.216.1.0/24',
        ssids: [{ name: 'corp' }],
        homeAgentPort: 4340,
        foreignAgent: { name: 'fa-r', address: '127.216.1.2', port: 4340 },
      },
    ],
    homeAgents: [
      {
        id: 'ha-r',
        address: HA,
        port: 4340,
        subnet: '127.216.0.0/24',
        securityAssociations: [
          { address: CLIENT.cisco, spi: 300, key: CISCO_KEY, algorithm: 'hmac-md5', replayWindowSeconds: 9 },
          { address: CLIENT.tgpp2, spi: 256, key: `text:${TGPP2_KEY}` },
          { address: CLIENT.late, rangeEnd: CLIENT.last, spi: 301, key: CISCO_KEY },
        ],
      },
    ],
    foreignAgents: [{ id: 'fa-r', address: '127.216.1.2', port: 4340, homeAgentPort: 4340 }],
    securityAssociations: {
      local: [],
      radius: {
        servers,
        secret: SECRET,
        password: PASSWORD,
        userName: 'nai',
        order: 'radius-only',
        timeoutMs: 200,
        retries: 1,
        holdDownSeconds: 60,
        cacheSeconds: 300,
        negativeCacheSeconds: 300,
        ...extra,
      },
    },
    subnetMap: [{ homeAgent: HA, mask: '255.255.255.0', name: 'ha-r' }],
    exporters: { prometheus: { listen: '127.0.0.1:0' } },
  };
}

function logSink(): { logger: pino.Logger; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, cb) {
      text += String(chunk);
      cb();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), text: () => text };
}

interface ClientJson {
  mac: string;
  state: string;
  lastOutcome: {
    kind: string;
    reason?: string;
    text: string;
    securityAssociation?: { cause: string; server: string };
  } | null;
}

async function clients(host: Host): Promise<ClientJson[]> {
  return ((await (await fetch(`${host.url}/api/v1/clients`)).json()) as { clients: ClientJson[] }).clients;
}

async function outcomeOf(host: Host, mac: string, what: string): Promise<ClientJson> {
  let found: ClientJson | undefined;
  const deadline = Date.now() + 8000;
  while (Date.now() < deadline) {
    found = (await clients(host)).find((c) => c.mac === mac);
    if (found?.lastOutcome) return found;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${what}: no outcome for ${mac}`);
}

function metric(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  if (!line) throw new Error(`no ${name}{${labels}}`);
  return Number(line.split(' ').pop());
}

describe.skipIf(!hasFreeRadius())('security associations from FreeRADIUS, through the engine', () => {
  let fr1: FreeRadius;
  let fr2: FreeRadius;
  let host: Host;
  let log: ReturnType<typeof logSink>;
  let mac = 0;
  const associate = (address: string, nai?: string): string => {
    const m = `02:00:00:16:00:${(++mac).toString(16).padStart(2, '0')}`;
    host.accessPoints.get('ap-r')!.associate({ mac: m, address, ssid: 'corp', ...(nai ? { nai } : {}) });
    return m;
  };

  beforeAll(async () => {
    [fr1, fr2] = await Promise.all([
      startFreeRadius({ secret: SECRET, users: USERS }),
      startFreeRadius({ secret: SECRET, users: USERS }),
    ]);
    log = logSink();
    const site = parseSiteConfig(
      stringify(
        siteDoc([
          { address: `127.0.0.1:${fr1.port}`, name: 'aaa-1' },
          { address: `127.0.0.1:${fr2.port}`, name: 'aaa-2' },
        ]),
      ),
    );
    const plan = sitePlan(site, { logger: log.logger, configDir: process.cwd() });
    expect(plan.warnings).toEqual([]);
    host = await startHost(plan.host);
  }, 30000);

  afterAll(async () => {
    await host?.stop(0);
    await Promise.all([fr1?.destroy(), fr2?.destroy()]);
  });

  it('registers a client with the SA of a Cisco av-pair, and one with the 3GPP2 attributes', async () => {
    const cisco = await outcomeOf(host, associate(CLIENT.cisco), 'cisco');
    expect(cisco.lastOutcome).toMatchObject({ kind: 'accepted' });
    expect(cisco.state).toBe('registered');
    const tgpp2 = await outcomeOf(host, associate(CLIENT.tgpp2, NAI), '3gpp2');
    expect(tgpp2.lastOutcome).toMatchObject({ kind: 'accepted' });
    // The home agent holds the users file's keys: it accepted, so the fetched keys equal them.
    expect(
      host.homeAgents
        .get('ha-r')!
        .bindings()
        .map((b) => b.homeAddress)
        .sort(),
    ).toEqual([CLIENT.cisco, CLIENT.tgpp2]);

    const page = await (await fetch(`${host.url}/security-associations`)).text();
    expect(page).toContain('radius aaa-1, cisco attributes');
    expect(page).toContain(`radius aaa-1, 3gpp2 attributes, home agent ${HA}`);
    const json = (await (await fetch(`${host.url}/api/v1/security-associations`)).json()) as {
      securityAssociations: Array<Record<string, unknown>>;
      radiusServers: Array<{ server: string; results: Record<string, number> }>;
    };
    expect(json.securityAssociations).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          scope: CLIENT.cisco,
          spi: 300,
          algorithm: 'hmac-md5',
          replayWindowSeconds: 9,
          source: 'radius',
          server: 'aaa-1',
          attributeStyle: 'cisco',
        }),
        expect.objectContaining({
          scope: CLIENT.tgpp2,
          spi: 256,
          algorithm: 'prefix-suffix',
          source: 'radius',
          server: 'aaa-1',
          attributeStyle: '3gpp2',
          homeAgent: HA,
        }),
      ]),
    );
    expect(json.radiusServers.find((s) => s.server === 'aaa-1')!.results.accept).toBe(2);
  });

  it('answers a re-association from the cache, and a refresh past it', async () => {
    const before = await (await fetch(`${host.url}/metrics`)).text();
    const lookups = metric(before, 'pmip_radius_lookups_total', 'server="aaa-1"');
    const m = associate(CLIENT.cisco);
    expect((await outcomeOf(host, m, 'cached')).lastOutcome).toMatchObject({ kind: 'accepted' });
    let text = await (await fetch(`${host.url}/metrics`)).text();
    expect(metric(text, 'pmip_radius_cache_hits_total', 'server="aaa-1",cached="accept"')).toBe(1);
    expect(metric(text, 'pmip_radius_lookups_total', 'server="aaa-1"')).toBe(lookups);
    expect(host.accessPoints.get('ap-r')!.renew(m, { refreshSecurityAssociation: true })).toBe(true);
    await waitFor(() => true);
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      text = await (await fetch(`${host.url}/metrics`)).text();
      if (metric(text, 'pmip_radius_lookups_total', 'server="aaa-1"') === lookups + 1) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(metric(text, 'pmip_radius_lookups_total', 'server="aaa-1"')).toBe(lookups + 1);
  });

  it('the Refresh of a client (associations API) looks its SA up past the cache', async () => {
    const api = await startAssociationsServer({
      accessPoints: host.accessPoints.values(),
      token: 'refresh-token-0123456789',
      logger: log.logger,
      listen: { host: '127.0.0.1', port: 0 },
    });
    try {
      const m = associate(CLIENT.tgpp2, NAI);
      expect((await outcomeOf(host, m, 'before refresh')).lastOutcome).toMatchObject({ kind: 'accepted' });
      const lookups = async () =>
        metric(
          await (await fetch(`${host.url}/metrics`)).text(),
          'pmip_radius_lookups_total',
          'server="aaa-1"',
        );
      const before = await lookups();
      const res = await fetch(`${api.url}/api/v1/associations/${m}/refresh`, {
        method: 'POST',
        headers: { Authorization: 'Bearer refresh-token-0123456789' },
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ mac: m, accessPoint: 'ap-r', refreshed: true });
      const deadline = Date.now() + 5000;
      while ((await lookups()) === before && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 25));
      expect(await lookups()).toBe(before + 1);
      const missing = await fetch(`${api.url}/api/v1/associations/02:00:00:16:ff:ff/refresh`, {
        method: 'POST',
        headers: { Authorization: 'Bearer refresh-token-0123456789' },
      });
      expect(missing.status).toBe(404);
    } finally {
      await api.close(0);
    }
  });

  it('a reject and a malformed SA end discarded, saying why, counted, the reject cached', async () => {
    const rejected = await outcomeOf(host, associate(CLIENT.rejected), 'reject');
    expect(rejected.lastOutcome).toMatchObject({
      kind: 'discarded',
      reason: 'no-security-association',
      securityAssociation: { cause: 'rejected', server: 'aaa-1' },
    });
    expect(rejected.lastOutcome!.text).toContain('RADIUS server aaa-1 rejected the client');
    const malformed = await outcomeOf(host, associate(CLIENT.malformed), 'malformed');
    expect(malformed.lastOutcome).toMatchObject({
      kind: 'discarded',
      securityAssociation: { cause: 'malformed', server: 'aaa-1' },
    });
    expect(malformed.lastOutcome!.text).toContain('without a usable SA');
    // Again: the reject comes from the negative cache, not the server.
    await outcomeOf(host, associate(CLIENT.rejected), 'reject again');
    const text = await (await fetch(`${host.url}/metrics`)).text();
    expect(metric(text, 'pmip_radius_lookup_failures_total', 'server="aaa-1",reason="reject"')).toBe(1);
    expect(metric(text, 'pmip_radius_lookup_failures_total', 'server="aaa-1",reason="malformed"')).toBe(1);
    expect(metric(text, 'pmip_radius_cache_hits_total', 'server="aaa-1",cached="reject"')).toBe(1);
    const page = await (await fetch(`${host.url}/security-associations`)).text();
    expect(page).toContain('Cisco-AVPair mobileip:spi#0: spi must be a number from 256 to 4294967295');
  });

  it('fails over to the second server when the first stops, then fails clearly when both have', async () => {
    await fr1.stop();
    const late = await outcomeOf(host, associate(CLIENT.late), 'failover');
    expect(late.lastOutcome).toMatchObject({ kind: 'accepted' });
    let text = await (await fetch(`${host.url}/metrics`)).text();
    expect(metric(text, 'pmip_radius_lookup_failures_total', 'server="aaa-1",reason="timeout"')).toBe(1);
    expect(metric(text, 'pmip_radius_requests_sent_total', 'server="aaa-1"')).toBeGreaterThanOrEqual(2);
    expect(metric(text, 'pmip_radius_failovers_total', 'server="aaa-1"')).toBe(1);
    expect(metric(text, 'pmip_radius_accepts_total', 'server="aaa-2",style="cisco"')).toBe(1);

    const aaa1Lookups = metric(text, 'pmip_radius_lookups_total', 'server="aaa-1"');
    await fr2.stop();
    const last = await outcomeOf(host, associate(CLIENT.last), 'both down');
    expect(last.lastOutcome).toMatchObject({
      kind: 'discarded',
      securityAssociation: { cause: 'timeout', server: 'aaa-2' },
    });
    expect(last.lastOutcome!.text).toContain('no RADIUS server answered');
    text = await (await fetch(`${host.url}/metrics`)).text();
    expect(metric(text, 'pmip_radius_lookup_failures_total', 'server="aaa-2",reason="timeout"')).toBe(1);
    // aaa-1 is held down after its timeout: not asked again.
    expect(metric(text, 'pmip_radius_lookups_total', 'server="aaa-1"')).toBe(aaa1Lookups);
    expect(metric(text, 'pmip_radius_lookup_failures_total', 'server="aaa-1",reason="timeout"')).toBe(1);
  });

  it('the RADIUS families pass promtool check metrics', async () => {
    const text = await (await fetch(`${host.url}/metrics`)).text();
    expect(text).toContain('# TYPE pmip_radius_lookups_total counter');
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(check.error).toBeUndefined();
    expect(`${check.stdout}${check.stderr}`.split('\n').filter((l) => l.includes('pmip_radius'))).toEqual([]);
    expect(check.status).toBe(0);
  });

  it('shows no key, secret or password in /metrics, pages, JSON or the log', async () => {
    const outputs = [log.text()];
    for (const path of [
      '/metrics',
      '/security-associations',
      '/clients',
      '/api/v1/security-associations',
      '/api/v1/clients',
      '/api/v1/statistics',
    ])
      outputs.push(await (await fetch(`${host.url}${path}`)).text());
    for (const out of outputs) for (const s of SECRETS) expect(out).not.toContain(s);
    expect(log.text().length).toBeGreaterThan(0);
  });
});

describe.skipIf(!hasFreeRadius())('a RADIUS server with another shared secret', () => {
  let fr: FreeRadius;
  beforeAll(async () => {
    fr = await startFreeRadius({ secret: 'wrong-SECRET-16', users: USERS });
  }, 20000);
  afterAll(async () => {
    await fr?.destroy();
  });

  it('fails the Response Authenticator check, counted, after a server that never answers', async () => {
    const dead = await freeUdpPort();
    const log = logSink();
    const site = parseSiteConfig(
      stringify(
        siteDoc(
          [
            { address: `127.0.0.1:${dead}`, name: 'aaa-dead' },
            { address: `127.0.0.1:${fr.port}`, name: 'aaa-wrong' },
          ],
          // FreeRADIUS silently drops a request whose Message-Authenticator fails its secret: without
          // one it answers, and the answer's authenticator (made with its secret) fails ours.
          { messageAuthenticator: false },
        ),
      ),
    );
    const host = await startHost(sitePlan(site, { logger: log.logger, configDir: process.cwd() }).host);
    try {
      host.accessPoints
        .get('ap-r')!
        .associate({ mac: '02:00:00:16:01:01', address: CLIENT.cisco, ssid: 'corp' });
      const c = await outcomeOf(host, '02:00:00:16:01:01', 'wrong secret');
      expect(c.lastOutcome).toMatchObject({
        kind: 'discarded',
        securityAssociation: { cause: 'bad-authenticator', server: 'aaa-wrong' },
      });
      expect(c.lastOutcome!.text).toContain('failed the authenticator check: check the shared secret');
      const text = await (await fetch(`${host.url}/metrics`)).text();
      expect(metric(text, 'pmip_radius_lookup_failures_total', 'server="aaa-dead",reason="timeout"')).toBe(1);
      expect(metric(text, 'pmip_radius_failovers_total', 'server="aaa-dead"')).toBe(1);
      expect(
        metric(text, 'pmip_radius_lookup_failures_total', 'server="aaa-wrong",reason="bad_authenticator"'),
      ).toBe(1);
      expect(metric(text, 'pmip_radius_accepts_total', 'server="aaa-wrong",style="cisco"')).toBe(0);
      for (const out of [text, log.text(), await (await fetch(`${host.url}/security-associations`)).text()])
        for (const s of SECRETS) expect(out).not.toContain(s);
    } finally {
      await host.stop(0);
    }
  });

  it('sa lookup says where the SA came from, and why there is none, never the key', async () => {
    const good = await startFreeRadius({ secret: SECRET, users: USERS });
    try {
      const site = parseSiteConfig(
        stringify(siteDoc([{ address: `127.0.0.1:${good.port}`, name: 'aaa-1' }])),
      );
      const found = await lookUpSecurityAssociation(site, CLIENT.tgpp2, { nai: NAI });
      expect(found).toMatchObject({
        found: true,
        source: 'radius',
        server: 'aaa-1',
        attributeStyle: '3gpp2',
        spi: 256,
        homeAgent: HA,
      });
      expect(found.text).toBe(
        `${CLIENT.tgpp2}: SPI 256, algorithm prefix-suffix, replay timestamp (window 7 s), source radius server aaa-1 (3gpp2 attributes, home agent ${HA})`,
      );
      const none = await lookUpSecurityAssociation(site, CLIENT.rejected);
      expect(none).toMatchObject({ found: false, cause: 'rejected', server: 'aaa-1' });
      expect(none.text).toBe(
        `${CLIENT.rejected}: no security association: RADIUS server aaa-1: Access-Reject`,
      );
      for (const s of SECRETS) expect(JSON.stringify([found, none])).not.toContain(s);
    } finally {
      await good.destroy();
    }
  });
});
