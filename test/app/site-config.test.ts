/**
 * From the site configuration to what startHost runs: knownAgents (the agents the collector and
 * the logs know by name, from the hosted agents, the named subnet map rows and the named static
 * foreign agents), the hosted agents' configurations, and what sitePlan hands the collector.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { accessPointConfig, foreignAgentConfig, knownAgents, sitePlan } from '../../src/app/site-config.ts';
import { accessPointSchema, foreignAgentSchema } from '../../src/config/schema.ts';
import { parseSiteConfig } from '../../src/config/load.ts';

const repoRoot = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const KEY = '00112233445566778899aabbccddeeff';
const OWN_KEY = 'ffeeddccbbaa99887766554433221100';
const logger = pino({ level: 'silent' });

function site(doc: Record<string, unknown>) {
  return parseSiteConfig(stringify(doc));
}

const ap = (id: string, n: number, extra: Record<string, unknown> = {}) => ({
  id,
  address: `10.${n}.0.10`,
  subnet: `10.${n}.0.0/24`,
  ssids: [{ name: 'corp' }],
  aaps: [`10.${n}.0.10`],
  ...extra,
});

describe('knownAgents', () => {
  it('is empty for a site that names no agent', () => {
    const s = site({
      accessPoints: [ap('ap-1', 1, { foreignAgent: { address: '10.1.0.2' } })],
      securityAssociations: { local: [{ address: '10.9.0.5', spi: 300, key: KEY }] },
      subnetMap: [{ homeAgent: '10.9.0.1', mask: '255.255.255.0' }],
    });
    expect(knownAgents(s)).toEqual({ homeAgents: [], foreignAgents: [] });
  });

  it('takes hosted agents, named subnet map rows and named static foreign agents, one entry per address', () => {
    const s = site({
      accessPoints: [
        ap('ap-1', 1, { foreignAgent: { name: 'fa-one', address: '10.1.0.2' } }),
        ap('ap-2', 2, { foreignAgent: { name: 'fa-one', address: '10.1.0.2' } }),
        ap('ap-3', 3, { foreignAgent: { address: '10.3.0.2' } }),
        ap('ap-4', 4, { pmip: false, foreignAgent: { name: 'fa-off', address: '10.4.0.2' } }),
        ap('ap-5', 5, { foreignAgent: { name: 'fa-hosted', address: '10.5.0.2' } }),
      ],
      homeAgents: [{ id: 'ha-hosted', address: '10.8.0.1', subnet: '10.8.0.0/24' }],
      foreignAgents: [{ id: 'fa-hosted', address: '10.5.0.2' }],
      securityAssociations: { local: [{ address: '10.9.0.5', spi: 300, key: KEY }] },
      subnetMap: [
        { homeAgent: '10.9.0.1', mask: '255.255.255.0', name: 'ha-nine' },
        // One home agent serving two home networks: one entry.
        { homeAgent: '10.9.0.1', mask: '255.255.0.0', name: 'ha-nine' },
        // A hosted home agent's row may repeat its id, or leave the name out.
        { homeAgent: '10.8.0.1', mask: '255.255.255.0', name: 'ha-hosted' },
        { homeAgent: '10.7.0.1', mask: '255.255.255.0' },
      ],
    });
    expect(knownAgents(s)).toEqual({
      homeAgents: [
        { id: 'ha-hosted', address: '10.8.0.1' },
        { id: 'ha-nine', address: '10.9.0.1' },
      ],
      // Not ap-3's unnamed one, nor that of ap-4 (PMIP disabled).
      foreignAgents: [
        { id: 'fa-hosted', address: '10.5.0.2' },
        { id: 'fa-one', address: '10.1.0.2' },
      ],
    });
  });

  it('knows the agents of the two lab examples by the same names in both processes', () => {
    const load = (f: string) => parseSiteConfig(readFileSync(path.join(repoRoot, 'examples', f), 'utf8'));
    const lab = knownAgents(load('lab-agents.yaml'));
    const site = knownAgents(load('site-external-agents.yaml'));
    expect(lab).toEqual({
      homeAgents: [
        { id: 'ha-lab-1', address: '127.201.0.1' },
        { id: 'ha-lab-2', address: '127.202.0.1' },
      ],
      foreignAgents: [
        { id: 'fa-east', address: '127.211.0.2' },
        { id: 'fa-west', address: '127.212.0.2' },
      ],
    });
    expect(site).toEqual(lab);
  });
});

describe('sitePlan with hosted agents', () => {
  const s = site({
    site: { name: 'lab' },
    homeAgents: [
      {
        id: 'ha-1',
        address: '127.201.0.1',
        port: 4340,
        subnet: '127.201.0.0/24',
        listenOnBroadcast: true,
        advertisements: { intervalMs: 5000, peers: ['127.211.0.10:4343'], port: 4341 },
      },
      {
        id: 'ha-2',
        address: '127.202.0.1',
        subnet: '127.202.0.0/24',
        maxLifetime: 600,
        simultaneousBindings: true,
        encapsulations: { gre: false },
        reverseTunnel: false,
        securityAssociations: [
          { address: '127.202.0.32', rangeEnd: '127.202.0.254', spi: 301, key: OWN_KEY },
        ],
      },
    ],
    foreignAgents: [
      {
        id: 'fa-1',
        address: '127.211.0.2',
        port: 4340,
        homeAgentPort: 4340,
        careOfAddress: '127.211.0.3',
        advertisements: { port: 4342, busy: true },
      },
    ],
    securityAssociations: {
      local: [{ address: '127.201.0.32', rangeEnd: '127.201.0.254', spi: 300, key: KEY }],
    },
    exporters: { prometheus: { listen: '127.0.0.1:0' } },
  });
  const plan = sitePlan(s, { logger, configDir: repoRoot });

  it('hands startHost every hosted agent, with the defaults filled in', () => {
    const [ha1, ha2] = plan.host.homeAgents!;
    expect(ha1).toMatchObject({
      id: 'ha-1',
      address: '127.201.0.1',
      port: 4340,
      subnet: '127.201.0.0/24',
      extraListen: ['127.201.0.255'],
      maxLifetime: 1800,
      simultaneousBindings: false,
      maxSimultaneousBindings: 5,
      encapsulations: { gre: true, minimal: true },
      reverseTunnel: true,
      advertisements: {
        intervalMs: 5000,
        peers: [{ address: '127.211.0.10', port: 4343 }],
        port: 4341,
        initialSequence: 0,
      },
    });
    expect(ha2).toMatchObject({
      port: 434,
      maxLifetime: 600,
      simultaneousBindings: true,
      encapsulations: { gre: false, minimal: true },
      reverseTunnel: false,
    });
    expect(ha2).not.toHaveProperty('extraListen');
    expect(ha2).not.toHaveProperty('advertisements');
    expect(plan.host.foreignAgents).toEqual([
      {
        id: 'fa-1',
        address: '127.211.0.2',
        port: 4340,
        careOfAddress: '127.211.0.3',
        maxLifetime: 1800,
        encapsulations: { gre: false, minimal: false },
        reverseTunnel: false,
        homeAgentPort: 4340,
        pendingTimeoutMs: 7000,
        maxPending: 10_000,
        maxVisitors: 10_000,
        advertisements: {
          intervalMs: 0,
          peers: [],
          port: 4342,
          initialSequence: 0,
          registrationRequired: true,
          busy: true,
        },
      },
    ]);
    expect(plan.host.accessPoints).toEqual([]);
  });

  it("serves a home agent from the file's bindings, or from its own list only", async () => {
    const [ha1, ha2] = plan.host.homeAgents!;
    expect(ha1!.securityAssociations).toBe(plan.host.securityAssociations);
    expect(ha1!.securityAssociations.describe().map((d) => d.scope)).toEqual(['127.201.0.32-127.201.0.254']);
    expect(ha2!.securityAssociations.describe().map((d) => `${d.scope} ${d.spi}`)).toEqual([
      '127.202.0.32-127.202.0.254 301',
    ]);
    expect(await ha2!.securityAssociations.lookup('127.201.0.50')).toBeUndefined();
    // Descriptions never carry the key.
    expect(JSON.stringify(ha2!.securityAssociations.describe())).not.toContain(OWN_KEY);
  });

  it('gives the collector the known agents by name and address', () => {
    // Hosted here: their agent-side counters are shown too.
    expect(plan.host.collector).toEqual({
      homeAgents: [
        { id: 'ha-1', address: '127.201.0.1', hosted: true },
        { id: 'ha-2', address: '127.202.0.1', hosted: true },
      ],
      foreignAgents: [{ id: 'fa-1', address: '127.211.0.2', hosted: true }],
    });
    expect(plan.knownAgents).toEqual({
      homeAgents: [
        { id: 'ha-1', address: '127.201.0.1' },
        { id: 'ha-2', address: '127.202.0.1' },
      ],
      foreignAgents: [{ id: 'fa-1', address: '127.211.0.2' }],
    });
    expect(plan.warnings).toEqual([]);
  });
});

describe('hardening settings from the file reach the engine', () => {
  it('passes served home agents, relay limits and the visitor cap to the foreign agent', () => {
    const f = foreignAgentSchema.parse({
      id: 'fa-1',
      address: '10.2.0.2',
      servedHomeAgents: ['10.1.0.0/16'],
      maxVisitors: 50,
      maxPendingPerSource: 7,
      relayRateLimit: { perSourcePerSecond: 5, overallPerSecond: 100, overallBurst: 300 },
    });
    expect(foreignAgentConfig(f)).toMatchObject({
      servedHomeAgents: ['10.1.0.0/16'],
      maxVisitors: 50,
      maxPendingPerSource: 7,
      // A rate alone gets one second's worth of burst; the other bucket keeps its default.
      relayRateLimit: {
        perSource: { ratePerSecond: 5, burst: 5 },
        overall: { ratePerSecond: 100, burst: 300 },
      },
    });
    expect(
      foreignAgentConfig(foreignAgentSchema.parse({ id: 'fa-2', address: '10.2.0.3' })).relayRateLimit,
    ).toBe(undefined);
  });

  it('passes the allowed agents to the access point', () => {
    const ap = accessPointSchema.parse({
      id: 'ap-1',
      address: '10.2.0.10',
      subnet: '10.2.0.0/24',
      ssids: [{ name: 'corp' }],
      aaps: ['10.2.0.10'],
      allowedAgents: ['10.2.0.2', '10.2.0.3'],
    });
    const sa = { local: [] } as unknown as Parameters<typeof accessPointConfig>[1];
    expect(accessPointConfig(ap, sa).allowedAgents).toEqual(['10.2.0.2', '10.2.0.3']);
  });
});
