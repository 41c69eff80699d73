import { FOREIGN_AGENT_DEFAULTS } from '../../config/defaults.ts';
import type { Peer } from '../runtime/udp.ts';
import { ipv4ToUint32 } from '../wire/ipv4.ts';
import type { AgentAdvertisementConfig } from './agent-lifecycle.ts';
import { checkPort } from '../wire/checks.ts';
import { checkLifetime } from './common.ts';
import {
  TokenBuckets,
  isLoopback,
  ownAddresses,
  parseServedHomeAgents,
  type HomeAgentPolicy,
  type RateLimitConfig,
} from './fa-hardening.ts';

/**
 * The foreign agent's configuration (RFC 5944 section 3.7, and the defences of docs/agents.md,
 * "Hardening"), and its validation into the settings the agent runs with, defaults applied.
 */
export interface ForeignAgentAdvertisementConfig extends AgentAdvertisementConfig {
  /** The R flag: registration required even with a co-located care-of address (default true). */
  registrationRequired?: boolean;
  /** The B flag (default false). */
  busy?: boolean;
  /** `udp` (default) or `icmp`: real ICMP router advertisements on the agent's interface (see AgentAdvertiser). */
  transport?: 'udp' | 'icmp';
  /** ICMP: where unsolicited advertisements go (default 224.0.0.1). */
  icmpTo?: string[];
}

/** The port a home agent listens on: one port for all, per address, or a function. */
export type HomeAgentPorts =
  number | ReadonlyMap<string, number> | ((homeAgent: string) => number | undefined);

export interface ForeignAgentConfig {
  id: string;
  /** The foreign agent's address (bound; requests, replies and advertisements use it). */
  address: string;
  /** Registration port (RFC 5944: 434; 0 = any free port, see `port` once started). */
  port: number;
  /** The care-of address offered (default: `address`). */
  careOfAddress?: string;
  /** Longest registration lifetime accepted, seconds (longer: 69). */
  maxLifetime: number;
  /** Encapsulations offered besides IP-in-IP (default: none). */
  encapsulations?: { gre?: boolean; minimal?: boolean };
  /** Whether reverse tunnelling is offered (default false; T without it: 74). */
  reverseTunnel?: boolean;
  /** Where home agents listen (default: this agent's own registration port). */
  homeAgentPort?: HomeAgentPorts;
  /** How long a relayed request waits for the home agent's reply (default 7000 ms). */
  pendingTimeoutMs?: number;
  /**
   * Most pending requests held at once (default 10000). When full, the oldest entry of the source
   * holding the most is evicted (its requester gets 66); a requester that is itself the biggest
   * holder gets 66 instead.
   */
  maxPending?: number;
  /** Most pending requests per source address (default maxPending / 10, at least 1; beyond: 66). */
  maxPendingPerSource?: number;
  /** Most pending requests per home agent (default maxPending / 2, at least 1; full: as maxPending). */
  maxPendingPerHomeAgent?: number;
  /** Most visitors (default 10000); a new registration beyond it gets 66. */
  maxVisitors?: number;
  /**
   * The home agents served: addresses or CIDR prefixes. When set, a request for any other home
   * agent gets 65. Absent: any home agent that is not refused for other reasons (docs/agents.md).
   */
  servedHomeAgents?: string[];
  /**
   * Token buckets on relayed requests, per source address and overall; `false` turns one off.
   * Defaults: per source 200/s with a burst of 1000, overall 2000/s with a burst of 5000. A
   * request over the limit gets 66.
   */
  relayRateLimit?: { perSource?: RateLimitConfig | false; overall?: RateLimitConfig | false };
  /** Periodic agent advertisements with the F flag. */
  advertisements?: ForeignAgentAdvertisementConfig;
}

/** What the foreign agent runs with: the configuration checked, every default applied. */
export interface ForeignAgentSettings {
  careOfAddress: string;
  gre: boolean;
  minimal: boolean;
  reverseTunnel: boolean;
  pendingTimeoutMs: number;
  maxPending: number;
  maxPendingPerSource: number;
  maxPendingPerHomeAgent: number;
  maxVisitors: number;
  /** Bound to 0.0.0.0: every local address is its own. */
  wildcard: boolean;
  homeAgentPolicy: HomeAgentPolicy;
  relayPerSource: TokenBuckets | undefined;
  relayOverall: TokenBuckets | undefined;
}

const DEFAULTS = FOREIGN_AGENT_DEFAULTS;
const RELAY = DEFAULTS.relayRateLimit;
const DEFAULT_RELAY_PER_SOURCE: RateLimitConfig = {
  ratePerSecond: RELAY.perSourcePerSecond,
  burst: RELAY.perSourceBurst,
};
const DEFAULT_RELAY_OVERALL: RateLimitConfig = {
  ratePerSecond: RELAY.overallPerSecond,
  burst: RELAY.overallBurst,
};
const ZERO_ADDRESS = '0.0.0.0';

/** Checks a foreign agent's configuration; every error names `foreignAgents[<id>].<field>`. */
export function foreignAgentSettings(config: ForeignAgentConfig): ForeignAgentSettings {
  const field = `foreignAgents[${config.id}]`;
  ipv4ToUint32(config.address, `${field}.address`);
  checkPort(config.port, `${field}.port`);
  checkLifetime(config.maxLifetime, `${field}.maxLifetime`);
  const careOfAddress = config.careOfAddress ?? config.address;
  ipv4ToUint32(careOfAddress, `${field}.careOfAddress`);
  const pendingTimeoutMs = config.pendingTimeoutMs ?? DEFAULTS.pendingTimeoutMs;
  if (!Number.isFinite(pendingTimeoutMs) || pendingTimeoutMs <= 0)
    throw new Error(`${field}.pendingTimeoutMs: must be a positive number of milliseconds`);
  const positive = (value: number | undefined, fallback: number, name: string): number => {
    const v = value ?? fallback;
    if (!Number.isInteger(v) || v < 1) throw new Error(`${field}.${name}: must be an integer >= 1`);
    return v;
  };
  const maxPending = positive(config.maxPending, DEFAULTS.maxPending, 'maxPending');
  const maxPendingPerSource = positive(
    config.maxPendingPerSource,
    Math.max(1, Math.floor(maxPending / 10)),
    'maxPendingPerSource',
  );
  const maxPendingPerHomeAgent = positive(
    config.maxPendingPerHomeAgent,
    Math.max(1, Math.floor(maxPending / 2)),
    'maxPendingPerHomeAgent',
  );
  const maxVisitors = positive(config.maxVisitors, DEFAULTS.maxVisitors, 'maxVisitors');
  const wildcard = config.address === ZERO_ADDRESS;
  const homeAgentPolicy: HomeAgentPolicy = {
    own: ownAddresses(config.address, careOfAddress),
    // Loopback home agents only for a foreign agent on loopback itself (lab and tests); a
    // wildcard-bound agent is reached on every loopback address, so none is acceptable.
    loopbackAllowed: !wildcard && isLoopback(ipv4ToUint32(config.address)),
  };
  if (config.servedHomeAgents !== undefined)
    homeAgentPolicy.served = parseServedHomeAgents(config.servedHomeAgents, `${field}.servedHomeAgents`);
  const limits = config.relayRateLimit ?? {};
  const perSource = limits.perSource ?? DEFAULT_RELAY_PER_SOURCE;
  const overall = limits.overall ?? DEFAULT_RELAY_OVERALL;
  const relayPerSource =
    perSource === false ? undefined : new TokenBuckets(perSource, `${field}.relayRateLimit.perSource`);
  const relayOverall =
    overall === false ? undefined : new TokenBuckets(overall, `${field}.relayRateLimit.overall`, 1);
  if (typeof config.homeAgentPort === 'number') checkPort(config.homeAgentPort, `${field}.homeAgentPort`);
  return {
    careOfAddress,
    gre: config.encapsulations?.gre ?? DEFAULTS.encapsulations.gre,
    minimal: config.encapsulations?.minimal ?? DEFAULTS.encapsulations.minimal,
    reverseTunnel: config.reverseTunnel ?? DEFAULTS.reverseTunnel,
    pendingTimeoutMs,
    maxPending,
    maxPendingPerSource,
    maxPendingPerHomeAgent,
    maxVisitors,
    wildcard,
    homeAgentPolicy,
    relayPerSource,
    relayOverall,
  };
}

/** The port to relay to for `homeAgent` (default: the foreign agent's own registration port). */
export function homeAgentPortFor(ports: HomeAgentPorts | undefined, homeAgent: string, own: number): number {
  if (ports === undefined) return own;
  if (typeof ports === 'number') return ports;
  if (typeof ports === 'function') return ports(homeAgent) ?? own;
  return ports.get(homeAgent) ?? own;
}

/** Where the foreign agent relays a request for `homeAgent`. */
export function homeAgentPeer(ports: HomeAgentPorts | undefined, homeAgent: string, own: number): Peer {
  return { address: homeAgent, port: homeAgentPortFor(ports, homeAgent, own) };
}
