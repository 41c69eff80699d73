import { ipv4ToUint32 } from '../wire/ipv4.ts';
import { maskToPrefixLength } from '../subnet-map/table.ts';
import { groupKeyBytes, type AapRow } from './codec/index.ts';
import {
  checkCount,
  checkDuration,
  checkMaxDatagram,
  checkNode,
  checkPeers,
  type AapPeerConfig,
} from './endpoint.ts';

export interface ClientTiming {
  /** Period of the report (keepalive) to the serving AAP (default 30 s). */
  reportIntervalMs: number;
  /** Wait for an AAP's answer per attempt (default 1000 ms). */
  responseTimeoutMs: number;
  /** Attempts before an AAP counts as unreachable (default 3). */
  attempts: number;
}

export const DEFAULT_CLIENT_TIMING: Readonly<ClientTiming> = Object.freeze({
  reportIntervalMs: 30_000,
  responseTimeoutMs: 1000,
  attempts: 3,
});

/** At most three AAPs per access point [doc]. */
export const MAX_AAPS = 3;

export interface AapClientConfig {
  /** Sender id on the wire and `node` in events: the access point's id. */
  id: string;
  /** Address the protocol socket binds (the AP's address). */
  address: string;
  /** Port of the protocol socket (default 0: any free port). */
  port?: number;
  /** One to three AAPs, in order of preference. */
  aaps: AapPeerConfig[];
  /** The site's shared group key (at least 16 bytes). Never logged, never in events. */
  groupKey: string | Uint8Array;
  /** The AP's own home agent, as learnt by agent discovery (also settable with setHomeAgent). */
  homeAgent?: { address: string; mask: string };
  timing?: Partial<ClientTiming>;
  /** Largest datagram sent (default 1400 bytes). */
  maxDatagramBytes?: number;
  /** SO_RCVBUF asked for (default 1 MiB, capped by the kernel's net.core.rmem_max). */
  receiveBufferBytes?: number;
}

/** What an access point's configuration comes to once checked. */
export interface CheckedClientConfig {
  key: Buffer;
  timing: ClientTiming;
  homeAgent: AapRow | undefined;
}

/** Checks an AP's configuration; a bad field throws an error naming it (`accessPoints[<id>].<field>`). */
export function checkClientConfig(config: AapClientConfig): CheckedClientConfig {
  const field = `accessPoints[${config.id}]`;
  checkNode({ id: config.id, address: config.address, port: config.port ?? 0 }, field);
  if (!Array.isArray(config.aaps) || config.aaps.length < 1 || config.aaps.length > MAX_AAPS)
    throw new Error(`${field}.aaps: configure one to ${MAX_AAPS} AAPs`);
  checkPeers(config.aaps, `${field}.aaps`);
  const key = groupKeyBytes(config.groupKey, `${field}.groupKey`);
  checkMaxDatagram(config.maxDatagramBytes, `${field}.maxDatagramBytes`);
  const timing = { ...DEFAULT_CLIENT_TIMING, ...config.timing };
  checkDuration(timing.reportIntervalMs, `${field}.timing.reportIntervalMs`);
  checkDuration(timing.responseTimeoutMs, `${field}.timing.responseTimeoutMs`);
  checkCount(timing.attempts, `${field}.timing.attempts`, 1, 20);
  const homeAgent = config.homeAgent ? parseHomeAgent(config.homeAgent, `${field}.homeAgent`) : undefined;
  return { key, timing, homeAgent };
}

/** The AP's own home agent as a row; its address and mask checked. */
export function parseHomeAgent(ha: { address: string; mask: string }, field: string): AapRow {
  return {
    homeAgent: ipv4ToUint32(ha.address, `${field}.address`),
    prefixLength: maskToPrefixLength(ha.mask, `${field}.mask`),
  };
}
