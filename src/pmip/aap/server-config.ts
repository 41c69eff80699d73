import { ipv4ToUint32 } from '../wire/ipv4.ts';
import { maskToPrefixLength } from '../subnet-map/table.ts';
import { AAP_PORT, groupKeyBytes } from './codec/index.ts';
import {
  checkCount,
  checkDuration,
  checkMaxDatagram,
  checkNode,
  checkPeers,
  type AapPeerConfig,
} from './endpoint.ts';
import type { HomeAgentProbeConfig } from './home-agent-prober.ts';
import type { SubnetMapRowConfig } from './stamped-table.ts';

export interface AapTiming {
  /** First wait for an update's acknowledgement (default 500 ms). */
  pushTimeoutMs: number;
  /** Retransmissions of an update before the AP is handed over (default 3). */
  pushRetries: number;
  /** Each retry waits this many times longer than the one before (default 2). */
  pushBackoff: number;
  /** Longest wait for one attempt (default 4000 ms). */
  pushMaxTimeoutMs: number;
  /** Wait for the next AAP to acknowledge a hand-over, per attempt (default 500 ms). */
  handoverTimeoutMs: number;
  /** Hand-over retransmissions per AAP (default 1). */
  handoverRetries: number;
  /** Period of the digest exchange between AAPs (default 30 s). */
  reconcileIntervalMs: number;
  /** A pull not answered completely within this time is abandoned (default 2000 ms). */
  pullTimeoutMs: number;
  /** At start: wait this long for a peer's table before serving with what there is (default 2000 ms). */
  initialSyncTimeoutMs: number;
  /** An AP that has not reported for this long leaves the AP list (default 100 s). */
  apExpiryMs: number;
  /** Period of AP expiry and tombstone clean-up (default 10 s). */
  maintenanceIntervalMs: number;
  /** How long removals are remembered for reconciliation (default 1 h). */
  tombstoneRetentionMs: number;
  /** A row without APs whose home agent answered is probed again after this long (default 60 s). */
  probeIntervalMs: number;
}

export const DEFAULT_AAP_TIMING: Readonly<AapTiming> = Object.freeze({
  pushTimeoutMs: 500,
  pushRetries: 3,
  pushBackoff: 2,
  pushMaxTimeoutMs: 4000,
  handoverTimeoutMs: 500,
  handoverRetries: 1,
  reconcileIntervalMs: 30_000,
  pullTimeoutMs: 2000,
  initialSyncTimeoutMs: 2000,
  apExpiryMs: 100_000,
  maintenanceIntervalMs: 10_000,
  tombstoneRetentionMs: 3_600_000,
  probeIntervalMs: 60_000,
});

export interface AapServerConfig {
  /** Sender id on the wire and `node` in events; unique among the site's APs and AAPs. */
  id: string;
  address: string;
  /** UDP port (default 6500; 0 = any free port, see `port` once started). */
  port?: number;
  /** The site's shared group key (at least 16 bytes). Never logged, never in events. */
  groupKey: string | Uint8Array;
  /**
   * The site's AAPs in the order the access points use, this one included at its place. Peers
   * for reconciliation; the order decides where an unreachable AP is handed over to.
   */
  aaps?: AapPeerConfig[];
  /** Rows from the configuration, loaded at start. */
  rows?: SubnetMapRowConfig[];
  timing?: Partial<AapTiming>;
  probe?: HomeAgentProbeConfig;
  /** Largest datagram sent (default 1400 bytes). */
  maxDatagramBytes?: number;
  /** SO_RCVBUF asked for (default 4 MiB, capped by the kernel's net.core.rmem_max). */
  receiveBufferBytes?: number;
}

/** What an AAP's configuration comes to once checked. */
export interface CheckedServerConfig {
  key: Buffer;
  maxDatagram: number;
  timing: AapTiming;
}

/** Checks an AAP's configuration; a bad field throws an error naming it (`aaps[<id>].<field>`). */
export function checkServerConfig(config: AapServerConfig): CheckedServerConfig {
  const field = `aaps[${config.id}]`;
  checkNode({ id: config.id, address: config.address, port: config.port ?? AAP_PORT }, field);
  const key = groupKeyBytes(config.groupKey, `${field}.groupKey`);
  const maxDatagram = checkMaxDatagram(config.maxDatagramBytes, `${field}.maxDatagramBytes`);
  const timing = { ...DEFAULT_AAP_TIMING, ...config.timing };
  for (const name of Object.keys(DEFAULT_AAP_TIMING) as Array<keyof AapTiming>) {
    if (name === 'pushRetries' || name === 'handoverRetries')
      checkCount(timing[name], `${field}.timing.${name}`, 0, 20);
    else if (name === 'pushBackoff') checkDuration(timing[name], `${field}.timing.${name}`, 1);
    else checkDuration(timing[name], `${field}.timing.${name}`);
  }
  checkPeers(config.aaps ?? [], `${field}.aaps`);
  for (const [i, r] of (config.rows ?? []).entries()) {
    ipv4ToUint32(r.homeAgent, `${field}.rows[${i}].homeAgent`);
    maskToPrefixLength(r.mask, `${field}.rows[${i}].mask`);
  }
  return { key, maxDatagram, timing };
}
