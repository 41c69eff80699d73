/**
 * Per-agent tables keyed by home address: the home agents' mobility bindings
 * (haMobilityBindingTable) and the foreign agents' visitor lists (faVisitorTable). Entries go on
 * removal/expiry events, and a sweep drops those whose lifetime ran out without one (a lost event
 * must not keep per-client state forever).
 */
class AgentEntry {
  constructor(
    public peer: string,
    public lifetime: number,
    public updatedAt: number,
    public expiresAt: number,
  ) {}
}

/** A binding (peer = care-of address) or a visitor (peer = home agent) as the API shows it. */
export interface AgentEntryView {
  agent: string;
  homeAddress: string;
  peer: string;
  lifetimeGrantedSeconds: number;
  lifetimeLeftSeconds: number;
  updatedAt: number;
}

export class AgentEntryTable {
  private readonly perAgent: Array<Map<string, AgentEntry> | undefined>;
  readonly counts: Int32Array;

  constructor(capacity: number) {
    this.perAgent = new Array<Map<string, AgentEntry> | undefined>(capacity).fill(undefined);
    this.counts = new Int32Array(capacity);
  }

  set(slot: number, homeAddress: string, peer: string, lifetimeSeconds: number, now: number): void {
    let table = this.perAgent[slot];
    if (table === undefined) {
      table = new Map();
      this.perAgent[slot] = table;
    }
    const expiresAt = now + lifetimeSeconds * 1000;
    const entry = table.get(homeAddress);
    if (entry === undefined) {
      table.set(homeAddress, new AgentEntry(peer, lifetimeSeconds, now, expiresAt));
      this.counts[slot] = this.counts[slot]! + 1;
      return;
    }
    entry.peer = peer;
    entry.lifetime = lifetimeSeconds;
    entry.updatedAt = now;
    entry.expiresAt = expiresAt;
  }

  delete(slot: number, homeAddress: string): void {
    if (this.perAgent[slot]?.delete(homeAddress)) this.counts[slot] = this.counts[slot]! - 1;
  }

  /** Drops entries past their lifetime by more than `graceMs`; returns how many. */
  sweep(now: number, graceMs: number): number {
    let n = 0;
    this.perAgent.forEach((table, slot) => {
      if (table === undefined) return;
      for (const [address, e] of table) {
        if (e.expiresAt + graceMs < now) {
          table.delete(address);
          this.counts[slot] = this.counts[slot]! - 1;
          n++;
        }
      }
    });
    return n;
  }

  list(now: number, agentName: (slot: number) => string): AgentEntryView[] {
    const out: AgentEntryView[] = [];
    this.perAgent.forEach((table, slot) => {
      if (table === undefined) return;
      for (const [homeAddress, e] of table) {
        out.push({
          agent: agentName(slot),
          homeAddress,
          peer: e.peer,
          lifetimeGrantedSeconds: e.lifetime,
          lifetimeLeftSeconds: Math.max(0, Math.floor((e.expiresAt - now) / 1000)),
          updatedAt: e.updatedAt,
        });
      }
    });
    return out;
  }
}
