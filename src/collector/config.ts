/**
 * Collector configuration: the label values it may use (access points, agents, AAPs), how it
 * folds unconfigured nodes into `other`, how long an idle client stays in the table, the clock.
 */
import type { SecurityAssociationDescription } from '../pmip/security/store.ts';
import type { SubnetMapRow } from '../pmip/subnet-map/table.ts';

/** An agent is known by an id (the label value) and, optionally, the address events carry. */
export interface AgentConfig {
  id: string;
  address?: string;
  /** Hosted by this process (a lab peer): its own agent-side counters are shown, at 0 from start-up. */
  hosted?: boolean;
}

/** Read-only views of engine state that events do not carry; injected, never imported. */
export interface CollectorViews {
  securityAssociations?: () => SecurityAssociationDescription[];
  subnetMap?: () => SubnetMapRow[];
  /** Observed sites: what the wire observer saw of the capture itself (src/observe/). */
  observation?: () => unknown;
}

export interface CollectorConfig {
  accessPoints: readonly string[];
  homeAgents?: ReadonlyArray<string | AgentConfig>;
  foreignAgents?: ReadonlyArray<string | AgentConfig>;
  /** Authoritative access points whose reachability and table version the AAP page shows. */
  aaps?: readonly string[];
  /** RADIUS servers of the SA lookups (their labels); absent: no RADIUS statistics at all. */
  radiusServers?: readonly string[];
  /**
   * How the access points authenticate to each home agent (by its label): `per-node` is the proxy
   * mode of RFC 5563 (extension 34 with a per-node SA), `mobile-home` the client's own SA (32).
   * Given only when some home agent uses proxy mode; shown as pmip_home_agent_authentication_info.
   */
  homeAgentAuthentication?: ReadonlyArray<{ homeAgent: string; mode: 'per-node' | 'mobile-home' }>;
  /** Unconfigured nodes admitted as label values of their own, per kind, before folding into `other`. */
  maxUnconfiguredNodes?: number;
  /** A client row with no event for this long is dropped. Default 3600 s. */
  clientIdleSeconds?: number;
  /** Hard cap on tracked clients; further clients are counted but not tracked. Default 200,000. */
  maxClients?: number;
  /** Milliseconds since the Unix epoch. Default Date.now. */
  clock?: () => number;
  views?: CollectorViews;
  /**
   * `proxied` (default): this process's access points registered the clients. `observed`: the
   * events come from traffic seen on the wire (`pmip-exporter observe`); the pages say so.
   */
  mode?: 'proxied' | 'observed';
}

export const OTHER = 'other';

export class CollectorConfigError extends Error {
  override readonly name = 'CollectorConfigError';
}

export interface NodeLabels {
  /** Label values in display order: configured, then admitted, then `other` once used. */
  ids: string[];
  /** Store slot of each label value. */
  slots: number[];
}

/**
 * Maps node ids (and agent addresses) to small integer slots. Configured ids keep their slot;
 * up to `maxAdmitted` unknown ids get one on first sight; the rest share the `other` slot.
 */
export class NodeRegistry {
  readonly capacity: number;
  readonly otherSlot: number;
  private readonly ids: string[] = [];
  /** The address of each slot: the configured one, else the id itself (agents seen first by address). */
  private readonly addresses: string[] = [];
  private readonly hostedSlots = new Set<number>();
  private readonly index = new Map<string, number>();
  private admitted = 0;
  private otherUsed = false;
  /** Events attributed to `other`. */
  folded = 0;

  constructor(
    configured: ReadonlyArray<string | AgentConfig>,
    private readonly maxAdmitted: number,
    field: string,
  ) {
    configured.forEach((entry, i) => {
      const { id, address, hosted } =
        typeof entry === 'string' ? { id: entry, address: undefined, hosted: true } : entry;
      if (typeof id !== 'string' || id === '')
        throw new CollectorConfigError(`${field}[${i}]: id must be a non-empty string`);
      if (id === OTHER)
        throw new CollectorConfigError(`${field}[${i}]: "${OTHER}" is reserved for unconfigured nodes`);
      if (this.index.has(id)) throw new CollectorConfigError(`${field}[${i}]: duplicate id "${id}"`);
      const slot = this.ids.length;
      this.ids.push(id);
      this.addresses.push(address ?? id);
      if (hosted !== false) this.hostedSlots.add(slot);
      this.index.set(id, slot);
      if (address !== undefined && address !== id) {
        if (this.index.has(address))
          throw new CollectorConfigError(`${field}[${i}]: duplicate address "${address}"`);
        this.index.set(address, slot);
      }
    });
    this.otherSlot = this.ids.length + maxAdmitted;
    this.capacity = this.otherSlot + 1;
  }

  slot(id: string): number {
    // The events of one attempt name the same nodes one after another: the last id found is
    // checked first (a pointer comparison mostly, the same string object), then the map.
    if (id === this.lastId) return this.lastSlot;
    const s = this.index.get(id);
    if (s === undefined) return this.admit(id);
    this.lastId = id;
    this.lastSlot = s;
    return s;
  }

  /** The slot of an id without admitting it (for reads: filters, lookups). */
  find(id: string): number | undefined {
    if (id === OTHER) return this.otherUsed ? this.otherSlot : undefined;
    return this.index.get(id);
  }

  /** Configured as hosted (the default for a configured entry; `hosted: false` for agents only seen). */
  isHosted(slot: number): boolean {
    return this.hostedSlots.has(slot);
  }

  /** Slots below this are configured. */
  get configuredCount(): number {
    return this.otherSlot - this.maxAdmitted;
  }

  /** The address of a slot (configured, else the id it was admitted under); `other` for the other slot. */
  addressOf(slot: number): string {
    return slot === this.otherSlot ? OTHER : (this.addresses[slot] ?? OTHER);
  }

  /** The label value of a slot. */
  nameOf(slot: number): string {
    return slot === this.otherSlot ? OTHER : (this.ids[slot] ?? OTHER);
  }

  labels(): NodeLabels {
    const ids = [...this.ids];
    const slots = ids.map((_, i) => i);
    if (this.otherUsed) {
      ids.push(OTHER);
      slots.push(this.otherSlot);
    }
    return { ids, slots };
  }

  /** The last id `slot` found in the index, and its slot (index entries are never removed). */
  private lastId: string | undefined = undefined;
  private lastSlot = -1;

  private admit(id: string): number {
    if (this.admitted < this.maxAdmitted && id !== OTHER) {
      const slot = this.ids.length;
      this.ids.push(id);
      this.addresses.push(id);
      this.index.set(id, slot);
      this.admitted++;
      return slot;
    }
    this.otherUsed = true;
    this.folded++;
    return this.otherSlot;
  }
}
