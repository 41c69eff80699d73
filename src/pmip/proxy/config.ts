import { ACCESS_POINT_DEFAULTS } from '../../config/defaults.ts';
import { inSubnet, ipv4ToUint32 } from '../wire/index.ts';
import type { SecurityAssociation } from '../security/store.ts';
import type { Peer } from '../runtime/udp.ts';
import { assertPmipRules, type SsidSettings } from './rules.ts';

/**
 * The access point's configuration as the engine takes it (the site configuration's
 * `accessPoints[]` entries after the schema filled in its defaults), the defaults the engine
 * applies when a caller leaves a field out, and the checks made before any socket is bound.
 */

/** A foreign agent configured instead of discovered: where registrations go, and its care-of address. */
export interface StaticForeignAgent {
  address: string;
  port: number;
  careOfAddress?: string;
  /** Longest lifetime it accepts, seconds. */
  maxLifetime?: number;
}

/** One access point: its address and subnet, its SSIDs, where registrations go, and their timing. */
export interface AccessPointConfig {
  id: string;
  /** The access point's own address, on its subnet. */
  address: string;
  /** The access point's subnet, CIDR (e.g. 10.1.0.0/24): clients outside it are visitors. */
  subnet: string;
  mode?: 'root' | 'repeater';
  ssids: SsidSettings[];
  aaps: string[];
  /** The site exchanges its subnet map with AAPs (then `aaps` needs 1-3 entries). Default true. */
  subnetMapExchange?: boolean;
  /** Local port for registration traffic (0 = any free port). */
  registrationPort?: number;
  /** Local port on which agent advertisements arrive (0 = any free port). */
  advertisementPort?: number;
  /** Port home agents listen on (RFC 5944: 434): one for all, or per home agent address. */
  homeAgentPort?: number | ((homeAgent: string) => number | undefined);
  /** Registration port of foreign agents learnt by discovery (RFC 5944: 434). */
  foreignAgentPort?: number;
  /** A fixed foreign agent instead of agent discovery. */
  foreignAgent?: StaticForeignAgent;
  /**
   * No foreign agent: register straight with the home agent, with the access point's own address
   * as a co-located care-of address and the D flag set (RFC 5944 sections 3.1 and 3.3): the home
   * agent tunnels to the access point, which decapsulates. Default false.
   */
  colocatedCareOfAddress?: boolean;
  /**
   * Proxy-mode authentication (RFC 5563 section 3.1): the per-node SA shared with a home agent,
   * by its address, when that home agent authenticates per node. Requests to it then carry the
   * per-node authentication method extension (47, method FA-HA) and the Foreign-Home
   * authentication extension (34) computed with this SA instead of the client's Mobile-Home
   * extension, and its replies must carry extension 34 with the same SA.
   */
  perNodeSecurityAssociation?: (homeAgent: string) => SecurityAssociation | undefined;
  /**
   * Agent discovery: accept advertisements only from these addresses (besides being on `subnet`),
   * and prefer them in this order when a foreign agent has to be chosen. Default: any address on
   * the subnet (docs/agents.md, "Access point: agent discovery under attack").
   */
  allowedAgents?: string[];
  /** Where solicitations go (loopback has no multicast: the foreign agents' advertisement ports). */
  solicitTo?: Peer[];
  /**
   * How agent discovery travels: `udp` (default; loopback demos and labs: advertisements carried
   * in UDP to `advertisementPort`) or `icmp`, real ICMP router advertisements (type 9 with the
   * mobility agent extension) and solicitations (type 10) on the interface of `address`
   * (RFC 5944 section 2). ICMP needs the raw-socket module and root or CAP_NET_RAW.
   */
  discoveryTransport?: 'udp' | 'icmp';
  /** ICMP discovery: where solicitations go (default 224.0.0.11, all mobility agents, RFC 5944 section 2.2). */
  icmpSolicitTo?: string[];
  /** Requested registration lifetime, seconds. */
  lifetime?: number;
  /** First retransmission after this long (>= 1000 ms), doubling each time. */
  retransmitInitialMs?: number;
  retransmitMaxMs?: number;
  maxRetransmissions?: number;
  /** Re-register when this fraction of the granted lifetime has passed since the request was sent. */
  renewFraction?: number;
  /** After a denial or timeout, try again after this long, doubling up to retryMaxMs. */
  retryAfterFailureMs?: number;
  retryMaxMs?: number;
  /** Request flags for every registration. */
  reverseTunnel?: boolean;
  gre?: boolean;
  /** Whether SAs come from RADIUS (for the operating rules). */
  radius?: boolean;
  localBindings?: number;
}

/**
 * What the engine assumes when a caller leaves a field out: the site configuration's defaults
 * (one place, src/config/defaults.ts), and the back-off after a failed attempt, which the site
 * configuration does not set.
 */
export const ACCESS_POINT_ENGINE_DEFAULTS = {
  ...ACCESS_POINT_DEFAULTS,
  retryAfterFailureMs: 5000,
  retryMaxMs: 60_000,
} as const;

/** RFC 5944 section 3.6.3: the first retransmission waits at least one second. */
export const MIN_RETRANSMIT_MS = 1000;

/** The timing of registrations, every default applied. */
export interface RegistrationTiming {
  lifetime: number;
  retransmitInitialMs: number;
  retransmitMaxMs: number;
  maxRetransmissions: number;
  renewFraction: number;
  retryAfterFailureMs: number;
  retryMaxMs: number;
}

export function registrationTiming(config: AccessPointConfig): RegistrationTiming {
  const d = ACCESS_POINT_ENGINE_DEFAULTS;
  return {
    lifetime: config.lifetime ?? d.lifetime,
    retransmitInitialMs: Math.max(MIN_RETRANSMIT_MS, config.retransmitInitialMs ?? d.retransmitInitialMs),
    retransmitMaxMs: config.retransmitMaxMs ?? d.retransmitMaxMs,
    maxRetransmissions: config.maxRetransmissions ?? d.maxRetransmissions,
    renewFraction: config.renewFraction ?? d.renewFraction,
    retryAfterFailureMs: config.retryAfterFailureMs ?? d.retryAfterFailureMs,
    retryMaxMs: config.retryMaxMs ?? d.retryMaxMs,
  };
}

/** The port a home agent's registrations go to. */
export function homeAgentPortOf(config: AccessPointConfig, homeAgent: string): number {
  const p = config.homeAgentPort;
  if (typeof p === 'function') return p(homeAgent) ?? ACCESS_POINT_DEFAULTS.homeAgentPort;
  return p ?? ACCESS_POINT_DEFAULTS.homeAgentPort;
}

/** The access point's subnet as numbers. */
export interface Subnet {
  network: number;
  prefixLength: number;
}

const CIDR = /^(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})$/;

/**
 * Checks what must hold before the access point binds anything: the operating rules (every broken
 * one named, PmipRuleError), the subnet as CIDR, the allow-list as addresses. Returns the subnet.
 */
export function checkAccessPointConfig(config: AccessPointConfig, localBindings: () => number): Subnet {
  assertPmipRules(
    {
      mode: config.mode ?? ACCESS_POINT_DEFAULTS.mode,
      ssids: config.ssids,
      aaps: config.aaps,
      subnetMapExchange: config.subnetMapExchange ?? true,
      localBindings: config.localBindings ?? localBindings(),
      radius: config.radius ?? false,
    },
    `accessPoints[${config.id}].`,
  );
  const subnet = CIDR.exec(config.subnet);
  if (!subnet || Number(subnet[2]) > 32)
    throw new Error(`accessPoints[${config.id}].subnet: "${config.subnet}" must be CIDR a.b.c.d/N`);
  for (const [i, a] of (config.allowedAgents ?? []).entries())
    ipv4ToUint32(a, `accessPoints[${config.id}].allowedAgents[${i}]`);
  return parseSubnet(config.subnet);
}

/** `a.b.c.d/N` as numbers (the caller checked the form; a bad address throws a WireError). */
export function parseSubnet(cidr: string): Subnet {
  const [net, len] = cidr.split('/');
  return { network: ipv4ToUint32(net ?? '', 'subnet'), prefixLength: Number(len) };
}

/** Whether `address` is on `subnet`; throws a WireError when `address` is not IPv4. */
export function onSubnet(subnet: Subnet, address: string): boolean {
  return inSubnet(ipv4ToUint32(address), subnet.network, subnet.prefixLength);
}

/**
 * The agent discovery allow-list: the configured addresses and a static foreign agent's, or
 * undefined when any address on the subnet may advertise.
 */
export function allowedAgentSet(config: AccessPointConfig): Set<string> | undefined {
  if (!config.allowedAgents && !config.foreignAgent) return undefined;
  return new Set([
    ...(config.allowedAgents ?? []),
    ...(config.foreignAgent ? [config.foreignAgent.address] : []),
  ]);
}
