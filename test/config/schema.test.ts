/**
 * The site configuration schema: every rule has a failing example with its exact message
 * (`path: rule`), every problem of a file is reported at once, no message quotes a key or a
 * secret, and `pmip-exporter config validate` prints the problems and exits 2 (0 on the example).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigError, parseSiteConfig } from '../../src/config/load.ts';

const repoRoot = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** Secret values of the base configuration: no validation message may contain any of them. */
const SECRETS = {
  key: '8f3a5c7e91b2d4f60a1c3e5f7d9b2468',
  radiusSecret: 'radius-SECRET-value-1',
  radiusPassword: 'radius-PASSWORD-value-1',
  groupKey: 'group-KEY-secret-value-1',
  token: 'bearer-TOKEN-secret-value-1',
};
/** Secret-looking values that the failing examples put in wrong places. */
const BAD_SECRETS = ['8f3a5c7e91b2d4f60a1c3e5f7d9b24', 'zz-not-hex-KEY-zz', 'short-TOKEN', 'short-GROUP'];

type Json = Record<string, unknown>;
type Site = Json & {
  accessPoints: Json[];
  securityAssociations: Json & { local: Json[]; radius?: Json };
};

function base(): Site {
  return {
    site: { name: 'test-site' },
    accessPoints: [
      {
        id: 'ap-1',
        address: '10.1.0.10',
        subnet: '10.1.0.0/24',
        ssids: [{ name: 'corp' }],
        aaps: ['10.1.0.10'],
      },
      {
        id: 'ap-2',
        address: '10.2.0.10',
        subnet: '10.2.0.0/24',
        ssids: [
          { name: 'corp', pmip: true },
          { name: 'guest', pmip: false, vlan: 20 },
        ],
        aaps: ['10.1.0.10:6500', '10.2.0.10:6500'],
        foreignAgent: { address: '10.2.0.2', port: 434, careOfAddress: '10.2.0.2', maxLifetime: 600 },
        solicitTo: ['10.2.0.2:4343'],
      },
    ],
    securityAssociations: {
      local: [{ address: '10.1.0.32', rangeEnd: '10.1.0.254', spi: 256, key: SECRETS.key }],
      radius: { server: '192.0.2.5:1812', secret: SECRETS.radiusSecret, password: SECRETS.radiusPassword },
    },
    subnetMap: [{ homeAgent: '10.1.0.1', mask: '255.255.255.0' }],
    aap: { groupKey: SECRETS.groupKey, port: 6500 },
    associations: { http: { listen: '127.0.0.1:9435', token: SECRETS.token } },
    exporters: {
      prometheus: { listen: '127.0.0.1:9434' },
      influxdb: { url: 'http://127.0.0.1:8086', database: 'pmip' },
    },
    logging: { level: 'info' },
  };
}

/** A "billion laughs" document: each level aliases the one before nine times (9^6 leaves). */
function aliasBomb(): string {
  const lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
  for (let i = 1; i <= 5; i++)
    lines.push(
      `a${i}: &a${i} [${Array(9)
        .fill(`*a${i - 1}`)
        .join(', ')}]`,
    );
  return `${lines.join('\n')}\n`;
}

const ap = (s: Site, i = 0): Json => s.accessPoints[i]!;
const binding = (s: Site, i = 0): Json => s.securityAssociations.local[i]!;

/** The problems of a configuration (empty when valid). */
function problems(config: unknown): string[] {
  try {
    parseSiteConfig(stringify(config), 'site.yaml');
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
}

interface Case {
  rule: string;
  change: (s: Site) => void;
  expected: string[];
}

/** One failing example per rule, with the exact message(s). */
const CASES: Case[] = [
  // --- the access point operating rules (docs/protocol.md, section 6)
  {
    rule: 'no PMIP in repeater mode',
    change: (s) => (ap(s).mode = 'repeater'),
    expected: ['accessPoints[0].mode: PMIP cannot be enabled in repeater mode'],
  },
  {
    rule: 'PMIP on at least one SSID (none configured)',
    change: (s) => (ap(s).ssids = []),
    expected: ['accessPoints[0].ssids: PMIP must be enabled on at least one SSID'],
  },
  {
    rule: 'PMIP on at least one SSID (all switched off)',
    change: (s) => (ap(s).ssids = [{ name: 'corp', pmip: false }]),
    expected: ['accessPoints[0].ssids: PMIP must be enabled on at least one SSID'],
  },
  {
    rule: 'no VLAN on a PMIP SSID',
    change: (s) => (ap(s).ssids = [{ name: 'corp', vlan: 10 }]),
    expected: [
      'accessPoints[0].ssids[0].vlan: PMIP cannot be mixed with VLAN configuration (SSID has PMIP enabled)',
    ],
  },
  {
    rule: 'no VLAN on the interfaces',
    change: (s) => (ap(s).vlans = [10]),
    expected: ['accessPoints[0].vlans: PMIP cannot be mixed with VLAN configuration on the interfaces'],
  },
  {
    rule: 'at least one AAP',
    change: (s) => (ap(s).aaps = []),
    expected: ['accessPoints[0].aaps: at least one authoritative access point must be configured'],
  },
  {
    rule: 'no AAP needed without an aap section (the subnet map is the configured rows)',
    change: (s) => {
      delete s.aap;
      ap(s).aaps = [];
      delete s.accessPoints[1]!.aaps;
    },
    expected: [],
  },
  {
    rule: 'a per-node SA key is 32 hex digits',
    change: (s) => (s.securityAssociations.perNode = [{ homeAgent: '10.1.0.1', spi: 300, key: 'not-hex' }]),
    expected: ['securityAssociations.perNode[0].key: must be 32 hex digits (a 128-bit key)'],
  },
  {
    rule: 'a co-located care-of address needs no foreign agent',
    change: (s) => (s.accessPoints[1]!.colocatedCareOfAddress = true),
    expected: [
      'accessPoints[1].colocatedCareOfAddress: must not be combined with foreignAgent (a co-located care-of address needs no foreign agent)',
    ],
  },
  {
    rule: 'at most three AAPs, even without an aap section',
    change: (s) => {
      delete s.aap;
      ap(s).aaps = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'];
    },
    expected: ['accessPoints[0].aaps: at most 3 authoritative access points'],
  },
  {
    rule: 'at most three AAPs',
    change: (s) => (ap(s).aaps = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4']),
    expected: ['accessPoints[0].aaps: at most 3 authoritative access points'],
  },
  {
    rule: 'a source of SAs (reported once for the site)',
    change: (s) => (s.securityAssociations = { local: [] }),
    expected: [
      'securityAssociations: a source of security associations is required (local bindings or RADIUS)',
    ],
  },
  {
    rule: 'the operating rules do not apply with PMIP disabled',
    change: (s) => Object.assign(ap(s), { pmip: false, mode: 'repeater', ssids: [], aaps: [], vlans: [3] }),
    expected: [],
  },
  // --- access point fields
  {
    rule: 'access point id pattern',
    change: (s) => (ap(s).id = 'ap 1'),
    expected: ['accessPoints[0].id: must be 1-64 letters, digits, dot, dash or underscore'],
  },
  {
    rule: 'duplicate access point id',
    change: (s) => (ap(s, 1).id = 'ap-1'),
    expected: ['accessPoints[1].id: duplicate access point id "ap-1"'],
  },
  {
    rule: 'access point address',
    change: (s) => (ap(s).address = '10.1.0.256'),
    expected: ['accessPoints[0].address: must be a dotted-quad IPv4 address'],
  },
  {
    rule: 'subnet CIDR (prefix too long)',
    change: (s) => (ap(s).subnet = '10.1.0.0/33'),
    expected: ['accessPoints[0].subnet: must be CIDR notation a.b.c.d/N with N from 0 to 32'],
  },
  {
    rule: 'subnet CIDR (no prefix)',
    change: (s) => (ap(s).subnet = '10.1.0.0'),
    expected: ['accessPoints[0].subnet: must be CIDR notation a.b.c.d/N with N from 0 to 32'],
  },
  {
    rule: 'mode enum',
    change: (s) => (ap(s).mode = 'bridge'),
    expected: ['accessPoints[0].mode: Invalid option: expected one of "root"|"repeater"'],
  },
  {
    rule: 'pmip boolean',
    change: (s) => (ap(s).pmip = 'yes'),
    expected: ['accessPoints[0].pmip: Invalid input: expected boolean, received string'],
  },
  {
    rule: 'SSID name not empty',
    change: (s) => (ap(s).ssids = [{ name: '' }]),
    expected: ['accessPoints[0].ssids[0].name: must not be empty'],
  },
  {
    rule: 'SSID name at most 32 characters',
    change: (s) => (ap(s).ssids = [{ name: 'x'.repeat(33) }]),
    expected: ['accessPoints[0].ssids[0].name: at most 32 characters (802.11 SSID)'],
  },
  {
    rule: 'SSID VLAN range',
    change: (s) => (ap(s, 1).ssids = [{ name: 'corp' }, { name: 'guest', pmip: false, vlan: 4095 }]),
    expected: ['accessPoints[1].ssids[1].vlan: Too big: expected number to be <=4094'],
  },
  {
    rule: 'interface VLAN range',
    change: (s) => Object.assign(ap(s), { pmip: false, vlans: [0] }),
    expected: ['accessPoints[0].vlans[0]: Too small: expected number to be >=1'],
  },
  {
    rule: 'AAP endpoint (not an address)',
    change: (s) => (ap(s).aaps = ['aap.example']),
    expected: ['accessPoints[0].aaps[0]: must be an IPv4 address with an optional :port'],
  },
  {
    rule: 'AAP endpoint (port out of range)',
    change: (s) => (ap(s).aaps = ['10.1.0.10:65536']),
    expected: ['accessPoints[0].aaps[0]: must be an IPv4 address with an optional :port'],
  },
  {
    rule: 'port range (above)',
    change: (s) => (ap(s).registrationPort = 65536),
    expected: ['accessPoints[0].registrationPort: Too big: expected number to be <=65535'],
  },
  {
    rule: 'port range (below)',
    change: (s) => (ap(s).advertisementPort = -1),
    expected: ['accessPoints[0].advertisementPort: Too small: expected number to be >=0'],
  },
  {
    rule: 'port is an integer',
    change: (s) => (ap(s).homeAgentPort = 434.5),
    expected: ['accessPoints[0].homeAgentPort: Invalid input: expected int, received number'],
  },
  {
    rule: 'foreign agent port range',
    change: (s) => (ap(s).foreignAgentPort = 70000),
    expected: ['accessPoints[0].foreignAgentPort: Too big: expected number to be <=65535'],
  },
  {
    rule: 'static foreign agent fields',
    change: (s) =>
      (ap(s, 1).foreignAgent = { address: '10.2.0', port: 99999, careOfAddress: 'x', maxLifetime: 0 }),
    expected: [
      'accessPoints[1].foreignAgent.address: must be a dotted-quad IPv4 address',
      'accessPoints[1].foreignAgent.port: Too big: expected number to be <=65535',
      'accessPoints[1].foreignAgent.careOfAddress: must be a dotted-quad IPv4 address',
      'accessPoints[1].foreignAgent.maxLifetime: Too small: expected number to be >=1',
    ],
  },
  {
    rule: 'static foreign agent address required',
    change: (s) => (ap(s, 1).foreignAgent = { port: 434 }),
    expected: ['accessPoints[1].foreignAgent.address: Invalid input: expected string, received undefined'],
  },
  {
    rule: 'solicitation endpoint',
    change: (s) => (ap(s, 1).solicitTo = ['10.2.0.2:70000']),
    expected: ['accessPoints[1].solicitTo[0]: must be an IPv4 address with an optional :port'],
  },
  {
    rule: 'solicitation endpoint needs a port when advertisementPort is 0',
    change: (s) => (ap(s, 1).solicitTo = ['10.2.0.2']),
    expected: ['accessPoints[1].solicitTo[0]: must name a :port when advertisementPort is 0'],
  },
  {
    rule: 'solicitation endpoint port defaults to a fixed advertisementPort',
    change: (s) => Object.assign(ap(s, 1), { solicitTo: ['10.2.0.2'], advertisementPort: 4343 }),
    expected: [],
  },
  {
    rule: 'lifetime range',
    change: (s) => (ap(s).lifetime = 65535),
    expected: ['accessPoints[0].lifetime: Too big: expected number to be <=65534'],
  },
  {
    rule: 'first retransmission no sooner than 1 s',
    change: (s) => (ap(s).retransmitInitialMs = 500),
    expected: [
      'accessPoints[0].retransmitInitialMs: must be at least 1000 (RFC 5944: first retry no sooner than 1 s)',
    ],
  },
  {
    rule: 'retransmission cap at least 1 s',
    change: (s) => (ap(s).retransmitMaxMs = 999),
    expected: ['accessPoints[0].retransmitMaxMs: Too small: expected number to be >=1000'],
  },
  {
    rule: 'retransmissions 0-10',
    change: (s) => (ap(s).maxRetransmissions = 11),
    expected: ['accessPoints[0].maxRetransmissions: Too big: expected number to be <=10'],
  },
  {
    rule: 'renew fraction above 0',
    change: (s) => (ap(s).renewFraction = 0),
    expected: ['accessPoints[0].renewFraction: Too small: expected number to be >0'],
  },
  {
    rule: 'renew fraction below 1',
    change: (s) => (ap(s).renewFraction = 1),
    expected: [
      'accessPoints[0].renewFraction: must be below 1: re-registration starts before the lifetime ends',
    ],
  },
  {
    rule: 'flags are booleans',
    change: (s) => Object.assign(ap(s), { reverseTunnel: 1, gre: 'no' }),
    expected: [
      'accessPoints[0].reverseTunnel: Invalid input: expected boolean, received number',
      'accessPoints[0].gre: Invalid input: expected boolean, received string',
    ],
  },
  {
    rule: 'at least one access point, or agents',
    change: (s) => (s.accessPoints = []),
    expected: [
      'accessPoints: at least one access point is required, or agents to host (homeAgents, foreignAgents)',
    ],
  },
  {
    rule: 'access points, or agents, required',
    change: (s) => delete (s as Json).accessPoints,
    expected: [
      'accessPoints: at least one access point is required, or agents to host (homeAgents, foreignAgents)',
    ],
  },
  {
    rule: 'access points not a list',
    change: (s) => ((s as Json).accessPoints = 'ap-1'),
    expected: ['accessPoints: Invalid input: expected array, received string'],
  },
  {
    rule: 'a file of agents only is valid',
    change: (s) => {
      delete (s as Json).accessPoints;
      s.foreignAgents = [{ id: 'fa-1', address: '10.2.0.2' }];
    },
    expected: [],
  },
  {
    rule: 'ids and names: "other" is reserved',
    change: (s) => (ap(s).id = 'other'),
    expected: ['accessPoints[0].id: must not be "other" (reserved for unconfigured nodes)'],
  },
  // --- hosted agents
  {
    rule: 'home agent fields',
    change: (s) =>
      (s.homeAgents = [
        {
          id: 'ha 1',
          address: '10.8.0',
          port: 70000,
          subnet: '10.8.0.0',
          listenOnBroadcast: 'yes',
          maxLifetime: 0,
          maxSimultaneousBindings: 0,
          encapsulations: { gre: 'no', ipip: true },
          advertisements: { intervalMs: -1, peers: ['10.1.0.10', '10.1.0.10:70000'], initialSequence: 65536 },
        },
      ]),
    expected: [
      'homeAgents[0].id: must be 1-64 letters, digits, dot, dash or underscore',
      'homeAgents[0].address: must be a dotted-quad IPv4 address',
      'homeAgents[0].port: Too big: expected number to be <=65535',
      'homeAgents[0].subnet: must be CIDR notation a.b.c.d/N with N from 0 to 32',
      'homeAgents[0].listenOnBroadcast: Invalid input: expected boolean, received string',
      'homeAgents[0].maxLifetime: Too small: expected number to be >=1',
      'homeAgents[0].maxSimultaneousBindings: Too small: expected number to be >=1',
      'homeAgents[0].encapsulations.gre: Invalid input: expected boolean, received string',
      'homeAgents[0].encapsulations: Unrecognized key: "ipip"',
      'homeAgents[0].advertisements.intervalMs: Too small: expected number to be >=0',
      'homeAgents[0].advertisements.peers[0]: must be an IPv4 address and :port',
      'homeAgents[0].advertisements.peers[1]: must be an IPv4 address and :port',
      'homeAgents[0].advertisements.initialSequence: Too big: expected number to be <=65535',
    ],
  },
  {
    rule: 'foreign agent fields',
    change: (s) =>
      (s.foreignAgents = [
        {
          id: 'fa-1',
          address: '10.2.0.2',
          careOfAddress: 'x',
          homeAgentPort: -1,
          pendingTimeoutMs: 99,
          maxPending: 0,
          servedHomeAgents: ['10.1.0.0/16', '10.9.0.1', '10.1.0.0/33'],
          relayRateLimit: { perSourcePerSecond: 0, overallPerSecond: -1, overallBurst: 0 },
          advertisements: { busy: 'no', registrationRequired: 1 },
        },
        { id: 'fa-2', address: '10.2.0.3', servedHomeAgents: [] },
      ]),
    expected: [
      'foreignAgents[0].careOfAddress: must be a dotted-quad IPv4 address',
      'foreignAgents[0].homeAgentPort: Too small: expected number to be >=0',
      'foreignAgents[0].pendingTimeoutMs: Too small: expected number to be >=100',
      'foreignAgents[0].maxPending: Too small: expected number to be >=1',
      'foreignAgents[0].servedHomeAgents[2]: must be an IPv4 address or a.b.c.d/N',
      'foreignAgents[0].relayRateLimit.perSourcePerSecond: must be above 0',
      'foreignAgents[0].relayRateLimit.overallPerSecond: must be above 0',
      'foreignAgents[0].relayRateLimit.overallBurst: Too small: expected number to be >=1',
      'foreignAgents[0].advertisements.registrationRequired: Invalid input: expected boolean, received number',
      'foreignAgents[0].advertisements.busy: Invalid input: expected boolean, received string',
      'foreignAgents[1].servedHomeAgents: at least one address or prefix when given',
    ],
  },
  {
    rule: 'allowed agents: addresses, at least one when given',
    change: (s) => {
      ap(s).allowedAgents = ['10.1.0.1', 'x'];
      ap(s, 1).allowedAgents = [];
    },
    expected: [
      'accessPoints[0].allowedAgents[1]: must be a dotted-quad IPv4 address',
      'accessPoints[1].allowedAgents: at least one address when given',
    ],
  },
  {
    rule: 'agent ids unique over access points and agents',
    change: (s) => {
      s.homeAgents = [{ id: 'ap-1', address: '10.8.0.1', subnet: '10.8.0.0/24' }];
      s.foreignAgents = [{ id: 'ap-1', address: '10.8.0.2' }];
    },
    expected: [
      'homeAgents[0].id: duplicate id "ap-1" (also accessPoints[0].id)',
      'foreignAgents[0].id: duplicate id "ap-1" (also accessPoints[0].id)',
    ],
  },
  {
    rule: 'agent addresses unique per kind',
    change: (s) =>
      (s.homeAgents = [
        { id: 'ha-1', address: '10.8.0.1', subnet: '10.8.0.0/24' },
        { id: 'ha-2', address: '10.8.0.1', subnet: '10.8.0.0/24', port: 4340 },
      ]),
    expected: ['homeAgents[1].address: duplicate address 10.8.0.1 (also homeAgents[0])'],
  },
  {
    rule: 'one socket per address and port',
    change: (s) => {
      s.homeAgents = [{ id: 'ha-1', address: '10.8.0.1', subnet: '10.8.0.0/24', port: 4340 }];
      s.foreignAgents = [
        { id: 'fa-1', address: '10.8.0.1', port: 4340 },
        { id: 'fa-2', address: '10.1.0.10', port: 0, advertisements: { port: 4343 } },
      ];
      ap(s).advertisementPort = 4343;
    },
    expected: [
      'foreignAgents[0].port: 10.8.0.1:4340 is bound twice (also homeAgents[0].port)',
      'foreignAgents[1].advertisements.port: 10.1.0.10:4343 is bound twice (also accessPoints[0].advertisementPort)',
    ],
  },
  {
    rule: "a home agent's subnet holds its address",
    change: (s) => (s.homeAgents = [{ id: 'ha-1', address: '10.8.1.1', subnet: '10.8.0.0/24' }]),
    expected: ["homeAgents[0].subnet: must contain the home agent's address 10.8.1.1"],
  },
  {
    rule: 'a home agent needs SAs (its own list is empty)',
    change: (s) =>
      (s.homeAgents = [{ id: 'ha-1', address: '10.8.0.1', subnet: '10.8.0.0/8', securityAssociations: [] }]),
    expected: [
      'homeAgents[0].securityAssociations: a home agent needs security associations: its own list, or securityAssociations.local',
    ],
  },
  {
    rule: 'a home agent needs SAs (no list, and the file has no local binding)',
    change: (s) => {
      s.securityAssociations.local = [];
      s.homeAgents = [{ id: 'ha-1', address: '10.8.0.1', subnet: '10.8.0.0/24' }];
    },
    expected: [
      'homeAgents[0].securityAssociations: a home agent needs security associations: its own list, or securityAssociations.local',
    ],
  },
  {
    rule: "a home agent's own SA list",
    change: (s) =>
      (s.homeAgents = [
        {
          id: 'ha-1',
          address: '10.8.0.1',
          subnet: '10.8.0.0/24',
          securityAssociations: [
            { address: '10.8.0.32', rangeEnd: '10.8.0.31', spi: 300, key: SECRETS.key },
            { address: '10.8.0.40', spi: 12, key: BAD_SECRETS[1] },
          ],
        },
      ]),
    expected: [
      'homeAgents[0].securityAssociations[1].spi: must be >= 256 (SPIs 0-255 are reserved)',
      'homeAgents[0].securityAssociations[1].key: must be 32 hex digits, "hex:" and hex digits, or "text:" and the secret',
      'homeAgents[0].securityAssociations[0].rangeEnd: must not be below address 10.8.0.32',
    ],
  },
  {
    rule: 'subnet map name pattern',
    change: (s) => (s.subnetMap = [{ homeAgent: '10.1.0.1', mask: '255.255.255.0', name: 'home agent 1' }]),
    expected: ['subnetMap[0].name: must be 1-64 letters, digits, dot, dash or underscore'],
  },
  {
    rule: 'one name per home agent address',
    change: (s) => {
      s.homeAgents = [{ id: 'ha-1', address: '10.1.0.1', subnet: '10.1.0.0/24', port: 4340 }];
      s.subnetMap = [{ homeAgent: '10.1.0.1', mask: '255.255.255.0', name: 'ha-one' }];
    },
    expected: ['subnetMap[0].name: 10.1.0.1 is already named "ha-1" (homeAgents[0].id)'],
  },
  {
    rule: 'one home agent address per name',
    change: (s) =>
      (s.subnetMap = [
        { homeAgent: '10.1.0.1', mask: '255.255.255.0', name: 'ha-a' },
        { homeAgent: '10.1.0.1', mask: '255.255.0.0', name: 'ha-a' },
        { homeAgent: '10.2.0.1', mask: '255.255.255.0', name: 'ha-a' },
      ]),
    expected: ['subnetMap[2].name: "ha-a" already names 10.1.0.1 (subnetMap[0].name)'],
  },
  {
    rule: 'one name per foreign agent address',
    change: (s) => {
      s.foreignAgents = [{ id: 'fa-x', address: '10.2.0.2', port: 4340 }];
      (ap(s, 1).foreignAgent as Json).name = 'fa-two';
    },
    expected: ['accessPoints[1].foreignAgent.name: 10.2.0.2 is already named "fa-x" (foreignAgents[0].id)'],
  },
  // --- security associations
  {
    rule: 'binding address',
    change: (s) => (binding(s).address = '10.1.0'),
    expected: ['securityAssociations.local[0].address: must be a dotted-quad IPv4 address'],
  },
  {
    rule: 'range end address',
    change: (s) => (binding(s).rangeEnd = '10.1.0.999'),
    expected: ['securityAssociations.local[0].rangeEnd: must be a dotted-quad IPv4 address'],
  },
  {
    rule: 'range end not below the address',
    change: (s) => (binding(s).rangeEnd = '10.1.0.31'),
    expected: ['securityAssociations.local[0].rangeEnd: must not be below address 10.1.0.32'],
  },
  {
    rule: 'SPI >= 256',
    change: (s) => (binding(s).spi = 255),
    expected: ['securityAssociations.local[0].spi: must be >= 256 (SPIs 0-255 are reserved)'],
  },
  {
    rule: 'SPI fits 32 bits',
    change: (s) => (binding(s).spi = 2 ** 32),
    expected: ['securityAssociations.local[0].spi: Too big: expected number to be <=4294967295'],
  },
  {
    rule: 'key of 30 hex digits',
    change: (s) => (binding(s).key = BAD_SECRETS[0]),
    expected: [
      'securityAssociations.local[0].key: must be 32 hex digits, "hex:" and hex digits, or "text:" and the secret',
    ],
  },
  {
    rule: 'key not hex',
    change: (s) => (binding(s).key = BAD_SECRETS[1]),
    expected: [
      'securityAssociations.local[0].key: must be 32 hex digits, "hex:" and hex digits, or "text:" and the secret',
    ],
  },
  {
    rule: 'key as hex: of any length, or as text:',
    change: (s) => {
      binding(s).key = 'hex:00112233445566778899aabbccddeeff0011';
      s.securityAssociations.local.push({ ...binding(s), address: '10.1.0.9', key: 'text:an ASCII secret' });
    },
    expected: [],
  },
  {
    rule: 'key hex: needs whole bytes',
    change: (s) => (binding(s).key = 'hex:abc'),
    expected: [
      'securityAssociations.local[0].key: after "hex:" must come an even number of hex digits (at least 2)',
    ],
  },
  {
    rule: 'key text: not empty, at most 255 bytes',
    change: (s) => {
      binding(s).key = 'text:';
      s.securityAssociations.local.push({
        ...binding(s),
        address: '10.1.0.9',
        key: `text:${'x'.repeat(256)}`,
      });
    },
    expected: [
      'securityAssociations.local[0].key: after "text:" must come at least one character',
      'securityAssociations.local[1].key: must be at most 255 bytes',
    ],
  },
  {
    rule: 'key missing',
    change: (s) => delete binding(s).key,
    expected: ['securityAssociations.local[0].key: Invalid input: expected string, received undefined'],
  },
  {
    rule: 'algorithm enum',
    change: (s) => (binding(s).algorithm = 'sha1'),
    expected: [
      'securityAssociations.local[0].algorithm: Invalid option: expected one of "prefix-suffix"|"hmac-md5"',
    ],
  },
  {
    rule: 'replay enum',
    change: (s) => (binding(s).replay = 'none'),
    expected: ['securityAssociations.local[0].replay: Invalid option: expected one of "timestamp"|"nonce"'],
  },
  {
    rule: 'replay window 1-3600 s',
    change: (s) => (binding(s).replayWindowSeconds = 3601),
    expected: ['securityAssociations.local[0].replayWindowSeconds: Too big: expected number to be <=3600'],
  },
  {
    rule: 'RADIUS server endpoint',
    change: (s) => (s.securityAssociations.radius!.server = 'radius.example:1812'),
    expected: ['securityAssociations.radius.server: must be an IPv4 address with an optional :port'],
  },
  {
    rule: 'RADIUS secret and password not empty',
    change: (s) => Object.assign(s.securityAssociations.radius!, { secret: '', password: '' }),
    expected: [
      'securityAssociations.radius.secret: must not be empty',
      'securityAssociations.radius.password: must not be empty',
    ],
  },
  {
    rule: 'RADIUS timing',
    change: (s) =>
      Object.assign(s.securityAssociations.radius!, { timeoutMs: 99, retries: 11, cacheSeconds: -1 }),
    expected: [
      'securityAssociations.radius.timeoutMs: Too small: expected number to be >=100',
      'securityAssociations.radius.retries: Too big: expected number to be <=10',
      'securityAssociations.radius.cacheSeconds: Too small: expected number to be >=0',
    ],
  },
  {
    rule: 'RADIUS servers list, each with a secret',
    change: (s) => {
      const r = s.securityAssociations.radius!;
      delete r.server;
      delete r.secret;
      r.servers = [
        { address: '192.0.2.5', secret: SECRETS.radiusSecret, name: 'aaa-1' },
        { address: '192.0.2.6:1645' },
        { address: '192.0.2.7:1812', secret: '' },
      ];
    },
    expected: [
      'securityAssociations.radius.servers[2].secret: must not be empty',
      'securityAssociations.radius.servers[1].secret: required when securityAssociations.radius.secret is not given',
    ],
  },
  {
    rule: 'RADIUS servers: at least one, not twice, not with server',
    change: (s) => {
      s.securityAssociations.radius!.servers = [{ address: '192.0.2.5' }, { address: '192.0.2.5:1812' }];
    },
    expected: [
      'securityAssociations.radius.server: must not be given with servers (list it there)',
      'securityAssociations.radius.servers[1]: duplicate server "192.0.2.5:1812"',
    ],
  },
  {
    rule: 'RADIUS servers list not empty',
    change: (s) => {
      delete s.securityAssociations.radius!.server;
      s.securityAssociations.radius!.servers = [];
    },
    expected: ['securityAssociations.radius.servers: at least one server'],
  },
  {
    rule: 'RADIUS needs a server and its secret',
    change: (s) => {
      delete s.securityAssociations.radius!.server;
      delete s.securityAssociations.radius!.secret;
    },
    expected: [
      'securityAssociations.radius.servers: at least one server (servers, or server)',
      'securityAssociations.radius.secret: required (the shared secret of the server)',
    ],
  },
  {
    rule: 'RADIUS choices',
    change: (s) =>
      Object.assign(s.securityAssociations.radius!, {
        userName: 'mac',
        order: 'local-only',
        attributeStyle: 'juniper',
        holdDownSeconds: -1,
        negativeCacheSeconds: -1,
      }),
    expected: [
      'securityAssociations.radius.userName: Invalid option: expected one of "home-address"|"nai"',
      'securityAssociations.radius.order: Invalid option: expected one of "local-first"|"radius-first"|"radius-only"',
      'securityAssociations.radius.attributeStyle: Invalid option: expected one of "auto"|"cisco"|"3gpp2"',
      'securityAssociations.radius.holdDownSeconds: Too small: expected number to be >=0',
      'securityAssociations.radius.negativeCacheSeconds: Too small: expected number to be >=0',
    ],
  },
  {
    rule: 'RADIUS alone is a source of SAs',
    change: (s) => (s.securityAssociations.local = []),
    expected: [],
  },
  // --- subnet map, AAP, associations, exporters, logging, site
  {
    rule: 'subnet map home agent address',
    change: (s) => (s.subnetMap = [{ homeAgent: 'ha-1', mask: '255.255.255.0' }]),
    expected: ['subnetMap[0].homeAgent: must be a dotted-quad IPv4 address'],
  },
  {
    rule: 'subnet map mask contiguous',
    change: (s) => (s.subnetMap = [{ homeAgent: '10.1.0.1', mask: '255.0.255.0' }]),
    expected: ['subnetMap[0].mask: must be a contiguous netmask such as 255.255.255.0'],
  },
  {
    rule: 'subnet map mask is a mask, not a prefix length',
    change: (s) => (s.subnetMap = [{ homeAgent: '10.1.0.1', mask: '/24' }]),
    expected: ['subnetMap[0].mask: must be a contiguous netmask such as 255.255.255.0'],
  },
  {
    rule: 'AAP group key length',
    change: (s) => (s.aap = { groupKey: BAD_SECRETS[3] }),
    expected: ['aap.groupKey: must be at least 16 characters'],
  },
  {
    rule: 'AAP port range',
    change: (s) => (s.aap = { groupKey: SECRETS.groupKey, port: 65536 }),
    expected: ['aap.port: Too big: expected number to be <=65535'],
  },
  {
    rule: 'association token length',
    change: (s) => (s.associations = { http: { token: BAD_SECRETS[2] } }),
    expected: ['associations.http.token: must be at least 16 characters'],
  },
  {
    rule: 'association listen HOST:PORT',
    change: (s) => (s.associations = { http: { listen: '9435', token: SECRETS.token } }),
    expected: ['associations.http.listen: must be HOST:PORT'],
  },
  {
    rule: 'association listen differs from the exporter',
    change: (s) => (s.associations = { http: { listen: '127.0.0.1:9434', token: SECRETS.token } }),
    expected: ['associations.http.listen: must differ from exporters.prometheus.listen (127.0.0.1:9434)'],
  },
  {
    rule: 'exporter listen HOST:PORT',
    change: (s) => (s.exporters = { prometheus: { listen: '127.0.0.1' } }),
    expected: ['exporters.prometheus.listen: must be HOST:PORT'],
  },
  {
    rule: 'exporter listen port range',
    change: (s) => (s.exporters = { prometheus: { listen: '127.0.0.1:99999' } }),
    expected: ['exporters.prometheus.listen: port must be 0-65535'],
  },
  {
    rule: 'InfluxDB URL, database and interval',
    change: (s) => (s.exporters = { influxdb: { url: 'influx:8086', database: '', intervalSeconds: 0 } }),
    expected: [
      'exporters.influxdb.url: must be a URL such as http://127.0.0.1:8086',
      'exporters.influxdb.database: must not be empty',
      'exporters.influxdb.intervalSeconds: must be at least 1',
    ],
  },
  {
    rule: 'InfluxDB target: bucket or database, not both; their companions',
    change: (s) =>
      (s.exporters = {
        influxdb: { url: 'http://127.0.0.1:8086', bucket: 'b', database: 'd', password: SECRETS.token },
      }),
    expected: [
      'exporters.influxdb.database: give either bucket (the /api/v2/write target) or database (the /write target), not both',
      'exporters.influxdb.org: required with bucket',
      'exporters.influxdb.password: only with database (the /write target); with bucket use token',
      'exporters.influxdb.username: username and password go together',
    ],
  },
  {
    rule: 'InfluxDB target required; v1 credentials go together; retry delays and buffer ordered',
    change: (s) =>
      (s.exporters = {
        influxdb: {
          url: 'http://user:pw@127.0.0.1:8086',
          minRetryDelaySeconds: 10,
          maxRetryDelaySeconds: 1,
          batchSize: 100,
          bufferPoints: 10,
        },
      }),
    expected: [
      'exporters.influxdb.url: must not carry credentials: use token, or username and password',
      'exporters.influxdb.bucket: required: bucket (with org and token, /api/v2/write) or database (/write)',
      'exporters.influxdb.minRetryDelaySeconds: must not exceed maxRetryDelaySeconds',
      'exporters.influxdb.bufferPoints: must be at least batchSize',
    ],
  },
  {
    rule: 'InfluxDB /write: username without password',
    change: (s) =>
      (s.exporters = { influxdb: { url: 'http://127.0.0.1:8086', database: 'd', username: 'u' } }),
    expected: ['exporters.influxdb.password: username and password go together'],
  },
  {
    rule: 'log rate limit',
    change: (s) => (s.logging = { rateLimit: { lines: 0, windowSeconds: 3601 } }),
    expected: [
      'logging.rateLimit.lines: Too small: expected number to be >=1',
      'logging.rateLimit.windowSeconds: Too big: expected number to be <=3600',
    ],
  },
  {
    rule: 'logging level enum',
    change: (s) => (s.logging = { level: 'trace' }),
    expected: ['logging.level: Invalid option: expected one of "debug"|"info"|"warn"|"error"'],
  },
  {
    rule: 'site name not empty',
    change: (s) => (s.site = { name: '' }),
    expected: ['site.name: Too small: expected string to have >=1 characters'],
  },
  // --- strict objects: unknown keys, at every level
  {
    rule: 'unknown top-level key',
    change: (s) => (s.acessPoints = []),
    expected: ['(root): Unrecognized key: "acessPoints"'],
  },
  {
    rule: 'unknown keys in nested objects (the value is never quoted)',
    change: (s) => {
      ap(s).keey = SECRETS.key;
      (ap(s).ssids as Json[])[0]!.hidden = true;
      binding(s).secret = SECRETS.radiusSecret;
      s.securityAssociations.radius!.port = 1812;
      (s.subnetMap as Json[]).push({ homeAgent: '10.2.0.1', mask: '255.255.255.0', prefix: 24 });
      s.exporters = { prometheus: { listen: '127.0.0.1:9434', tls: true } };
    },
    expected: [
      // Problems inside an object come before its own unknown keys.
      'accessPoints[0].ssids[0]: Unrecognized key: "hidden"',
      'accessPoints[0]: Unrecognized key: "keey"',
      'securityAssociations.local[0]: Unrecognized key: "secret"',
      'securityAssociations.radius: Unrecognized key: "port"',
      'subnetMap[1]: Unrecognized key: "prefix"',
      'exporters.prometheus: Unrecognized key: "tls"',
    ],
  },
];

describe('site configuration schema', () => {
  it('accepts the base configuration and fills in the defaults', () => {
    const site = parseSiteConfig(stringify(base()));
    expect(site.accessPoints[0]).toMatchObject({
      mode: 'root',
      pmip: true,
      vlans: [],
      registrationPort: 0,
      advertisementPort: 0,
      homeAgentPort: 434,
      foreignAgentPort: 434,
      solicitTo: [],
      lifetime: 600,
      retransmitInitialMs: 1000,
      retransmitMaxMs: 16000,
      maxRetransmissions: 3,
      renewFraction: 0.8,
      reverseTunnel: false,
      gre: false,
    });
    expect(site.accessPoints[0]!.ssids).toEqual([{ name: 'corp', pmip: true }]);
    expect(site.securityAssociations.local[0]).toMatchObject({
      algorithm: 'prefix-suffix',
      replay: 'timestamp',
      replayWindowSeconds: 7,
    });
    expect(site.securityAssociations.radius).toMatchObject({
      timeoutMs: 3000,
      retries: 2,
      cacheSeconds: 300,
    });
    expect(site.exporters.influxdb?.intervalSeconds).toBe(10);
  });

  it('fills in the defaults of a minimal configuration', () => {
    const site = parseSiteConfig(
      stringify({
        accessPoints: [
          { id: 'a', address: '10.0.0.1', subnet: '10.0.0.0/24', ssids: [{ name: 'c' }], aaps: ['10.0.0.1'] },
        ],
        securityAssociations: { local: [{ address: '10.0.0.2', spi: 300, key: SECRETS.key }] },
        associations: { http: { token: SECRETS.token } },
      }),
    );
    expect(site.site).toEqual({ name: 'site' });
    expect(site.subnetMap).toEqual([]);
    expect(site.aap).toBeUndefined();
    expect(site.associations.http).toEqual({ listen: '127.0.0.1:9435', token: SECRETS.token });
    expect(site.exporters).toEqual({ prometheus: { listen: '127.0.0.1:9434' } });
    expect(site.logging).toEqual({ level: 'info', rateLimit: { lines: 5, windowSeconds: 10 } });
    expect(site.homeAgents).toEqual([]);
    expect(site.foreignAgents).toEqual([]);
  });

  it('fills in the defaults of hosted agents', () => {
    const site = parseSiteConfig(
      stringify({
        homeAgents: [{ id: 'ha-1', address: '10.8.0.1', subnet: '10.8.0.0/24', advertisements: {} }],
        foreignAgents: [{ id: 'fa-1', address: '10.8.0.2', advertisements: {} }],
        securityAssociations: { local: [{ address: '10.8.0.32', spi: 300, key: SECRETS.key }] },
      }),
    );
    expect(site.accessPoints).toEqual([]);
    expect(site.homeAgents).toEqual([
      {
        id: 'ha-1',
        address: '10.8.0.1',
        port: 434,
        subnet: '10.8.0.0/24',
        listenOnBroadcast: false,
        maxLifetime: 1800,
        simultaneousBindings: false,
        maxSimultaneousBindings: 5,
        encapsulations: { gre: true, minimal: true },
        reverseTunnel: true,
        advertisements: { intervalMs: 0, peers: [], port: 0, initialSequence: 0 },
      },
    ]);
    expect(site.foreignAgents).toEqual([
      {
        id: 'fa-1',
        address: '10.8.0.2',
        port: 434,
        maxLifetime: 1800,
        encapsulations: { gre: false, minimal: false },
        reverseTunnel: false,
        homeAgentPort: 434,
        pendingTimeoutMs: 7000,
        maxPending: 10_000,
        maxVisitors: 10_000,
        advertisements: {
          intervalMs: 0,
          peers: [],
          port: 0,
          initialSequence: 0,
          registrationRequired: true,
          busy: false,
        },
      },
    ]);
  });

  it.each(CASES)('$rule', ({ change, expected }) => {
    const config = base();
    change(config);
    const found = problems(config);
    expect(found).toEqual(expected);
    for (const p of found)
      for (const secret of [...Object.values(SECRETS), ...BAD_SECRETS]) expect(p).not.toContain(secret);
  });

  it('has a failing example for every message the schema and the operating rules define', () => {
    const strip = (file: string) =>
      readFileSync(path.join(repoRoot, file), 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/^\s*\/\/.*$/gm, '');
    const literals = (text: string) =>
      [...text.matchAll(/'((?:[^'\\\n]|\\.)*)'|`([^`]*)`/g)]
        .map((m) => m[1] ?? m[2]!)
        .filter((t) => t.includes(' '));
    const messages = [
      // The schema's sections (src/config/schema.ts and the files it composes).
      ...['schema', 'fields', 'access-point', 'agents', 'security-associations', 'site-rules'].flatMap(
        (name) => literals(strip(`src/config/${name}.ts`)),
      ),
      ...[...strip('src/pmip/proxy/rules.ts').matchAll(/rule: ('[^']*'|`[^`]*`)/g)].map((m) =>
        m[1]!.slice(1, -1),
      ),
    ];
    expect(messages.length).toBeGreaterThan(20);
    const expectedProblems = CASES.flatMap((c) => c.expected);
    const uncovered = messages.filter((message) => {
      const pattern = new RegExp(
        `: ${message
          .split(/\$\{[^}]*\}/)
          .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
          .join('.+')}$`,
      );
      return !expectedProblems.some((p) => pattern.test(p));
    });
    expect(uncovered).toEqual([]);
  });

  it('reports every problem of a file at once, type errors and operating rules together', () => {
    const config = base();
    Object.assign(ap(config), { address: '10.1.0.300', mode: 'repeater', aaps: 'x', ssids: [] });
    Object.assign(ap(config, 1), { id: 'ap-1', vlans: [7], lifetime: 0, unknown: 1 });
    Object.assign(binding(config), { spi: 12, key: BAD_SECRETS[1], rangeEnd: '10.1.0.1' });
    config.subnetMap = [{ homeAgent: '10.1.0.1', mask: '255.255.0.255' }];
    config.associations = { http: { token: BAD_SECRETS[2] } };
    config.logging = { level: 'loud' };
    expect(problems(config)).toEqual([
      'accessPoints[0].address: must be a dotted-quad IPv4 address',
      'accessPoints[0].aaps: Invalid input: expected array, received string',
      'accessPoints[1].lifetime: Too small: expected number to be >=1',
      'accessPoints[1]: Unrecognized key: "unknown"',
      'securityAssociations.local[0].spi: must be >= 256 (SPIs 0-255 are reserved)',
      'securityAssociations.local[0].key: must be 32 hex digits, "hex:" and hex digits, or "text:" and the secret',
      'subnetMap[0].mask: must be a contiguous netmask such as 255.255.255.0',
      'associations.http.token: must be at least 16 characters',
      'logging.level: Invalid option: expected one of "debug"|"info"|"warn"|"error"',
      // The cross-field rules run too, on the parts that are well formed (aaps is not: no AAP rule).
      'accessPoints[0].mode: PMIP cannot be enabled in repeater mode',
      'accessPoints[0].ssids: PMIP must be enabled on at least one SSID',
      'accessPoints[1].id: duplicate access point id "ap-1"',
      'accessPoints[1].vlans: PMIP cannot be mixed with VLAN configuration on the interfaces',
      'securityAssociations.local[0].rangeEnd: must not be below address 10.1.0.32',
    ]);
  });

  it('names YAML syntax errors by line and column without quoting the text', () => {
    const text = `securityAssociations:\n  local:\n    - key: "${SECRETS.key}\n  spi: [\n`;
    let error: unknown;
    try {
      parseSiteConfig(text, 'broken.yaml');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problemList = (error as ConfigError).problems;
    expect(problemList.length).toBeGreaterThan(0);
    for (const p of problemList) {
      expect(p).toMatch(/^broken\.yaml:\d+:\d+: YAML syntax error \([A-Z_]+\)$/);
      expect(p).not.toContain(SECRETS.key);
    }
  });

  it.each([
    ['a duplicate key', 'site:\n  name: a\n  name: b\n', 'site.yaml:3:3: YAML syntax error (DUPLICATE_KEY)'],
    [
      'a flow sequence left open',
      'site:\n  name: lab\naccessPoints:\n  - id: ap-1\n    ssids: [corp\n    address: 10.1.0.10\n',
      'site.yaml:6:5: YAML syntax error (BAD_INDENT)',
    ],
    [
      'a tab as indentation',
      'site:\n  name: lab\n\tx: 1\n',
      'site.yaml:3:1: YAML syntax error (TAB_AS_INDENT)',
    ],
    [
      'an alias with no anchor',
      'site:\n  name: *nowhere\n',
      'site.yaml:2:9: YAML alias with no anchor before it (BAD_ALIAS)',
    ],
  ])('names the line and column of %s', (_what, text, problem) => {
    expect(() => parseSiteConfig(text, 'site.yaml')).toThrow(`site.yaml: 1 problem\n  ${problem}`);
  });

  it('refuses a YAML alias bomb ("billion laughs") as a problem, not a crash', () => {
    expect(() => parseSiteConfig(aliasBomb(), 'site.yaml')).toThrow(
      'site.yaml: 1 problem\n  site.yaml: YAML aliases expand too many times (maxAliasCount 100): ' +
        'refused as an alias bomb ("billion laughs")',
    );
    // Anchors used a few times, as a real site file might, are fine (stringify writes &a1 / *a1).
    const site = base();
    const ssids = [{ name: 'corp' }];
    ap(site, 0).ssids = ssids;
    ap(site, 1).ssids = ssids;
    const text = stringify(site);
    expect(text).toMatch(/\*a1/);
    expect(parseSiteConfig(text, 'site.yaml').accessPoints[1]!.ssids).toEqual([{ name: 'corp', pmip: true }]);
  });

  it('refuses a document that is not a mapping', () => {
    expect(problems(['a', 'b'])).toEqual(['(root): Invalid input: expected object, received array']);
  });

  it('a key made only of digits must be quoted (YAML would read a number)', () => {
    const text = stringify(base()).replace(SECRETS.key, '12345678901234567890123456789012');
    expect(() => parseSiteConfig(text)).toThrow(
      'securityAssociations.local[0].key: Invalid input: expected string, received number',
    );
  });
});

describe('pmip-exporter config validate (child process)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pmip-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function validate(file: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', 'src/cli/main.ts', 'config', 'validate', file],
        {
          cwd: repoRoot,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  it('prints every problem, each as `path: rule`, and exits 2', async () => {
    const config = base();
    Object.assign(ap(config), { mode: 'repeater', aaps: [] });
    binding(config).spi = 12;
    config.associations = { http: { token: BAD_SECRETS[2] } };
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, stringify(config));
    const run = await validate(file);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      [
        `pmip-exporter: ${file}: 4 problems`,
        '  securityAssociations.local[0].spi: must be >= 256 (SPIs 0-255 are reserved)',
        '  associations.http.token: must be at least 16 characters',
        '  accessPoints[0].mode: PMIP cannot be enabled in repeater mode',
        '  accessPoints[0].aaps: at least one authoritative access point must be configured',
        '',
      ].join('\n'),
    );
    for (const secret of [...Object.values(SECRETS), ...BAD_SECRETS]) {
      expect(run.stderr).not.toContain(secret);
      expect(run.stdout).not.toContain(secret);
    }
  });

  it('exits 2 naming the problem for a YAML alias bomb, not 1 with "unexpected error"', async () => {
    const file = path.join(dir, 'bomb.yaml');
    writeFileSync(file, aliasBomb());
    const run = await validate(file);
    expect(run.stderr).toBe(
      `pmip-exporter: ${file}: 1 problem\n` +
        `  ${file}: YAML aliases expand too many times (maxAliasCount 100): refused as an alias bomb ("billion laughs")\n`,
    );
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
  });

  it('exits 2 naming the line and column of a YAML syntax error', async () => {
    const file = path.join(dir, 'syntax.yaml');
    writeFileSync(
      file,
      'site:\n  name: lab\naccessPoints:\n  - id: ap-1\n    ssids: [corp\n    address: 10.1.0.10\n',
    );
    const run = await validate(file);
    expect(run.stderr).toBe(
      `pmip-exporter: ${file}: 1 problem\n  ${file}:6:5: YAML syntax error (BAD_INDENT)\n`,
    );
    expect(run.code).toBe(2);
  });

  it('exits 0 on examples/site.yaml', async () => {
    const run = await validate('examples/site.yaml');
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('examples/site.yaml: valid (2 access points, 2 local SA bindings)\n');
    expect(run.code).toBe(0);
  });

  it('counts the hosted agents of a lab file', async () => {
    const run = await validate('examples/lab-agents.yaml');
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(
      /^examples\/lab-agents\.yaml: valid \(0 access points, \d+ local SA bindings?, hosting 2 home agents and 2 foreign agents\)\n$/,
    );
    expect(run.code).toBe(0);
  });
});
