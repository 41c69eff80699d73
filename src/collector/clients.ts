/**
 * The live mobile-client table: one row per client MAC, with state, home agent, care-of address,
 * registration expiry and last reply code. Per-client detail lives here and on the pages, never in
 * a metric label. Memory is bounded twice: idle rows are dropped, and the row count is capped.
 */
import { CLIENT_STATES } from '../pmip/events.ts';
import type { ClientOutcome, ClientState, ClientStateEvent } from '../pmip/events.ts';
import { replyCode } from '../pmip/reply-codes.ts';
import { describeOutcome } from './outcome-text.ts';

/** The contract's list (events.ts), handed on to the views. */
export { CLIENT_STATES };
const STATE_INDEX = new Map<string, number>(CLIENT_STATES.map((s, i) => [s, i]));

export function clientStateIndex(state: ClientState): number {
  // A switch, not a map probe: this runs for every client-state event.
  switch (state) {
    case 'home':
      return 0;
    case 'registered':
      return 1;
    case 'pending':
      return 2;
    case 'isolated':
      return 3;
    default:
      return STATE_INDEX.get(state) ?? 4;
  }
}

class ClientRow {
  // Fields with initial values of their kind, assigned in the constructor: a field declared
  // without one starts as undefined (ES2022 class fields), so its numbers would each be a heap
  // number allocated per update and held until the next (measured: the client table's updates
  // were the observation path's largest source of promoted objects).
  mac: string;
  address: string;
  accessPoint = 0;
  ssid: string;
  state = 0;
  homeAgent: string | undefined = undefined;
  careOfAddress: string | undefined = undefined;
  /** ms since epoch; NaN when not registered. */
  expiresAt = NaN;
  /** -1 when no reply yet. */
  lastCode = -1;
  lastSeen = NaN;
  /** ms since epoch; NaN when no attempt is in progress. */
  attemptStartedAt = NaN;
  nai: string | undefined = undefined;

  constructor(
    mac: string,
    address: string,
    accessPoint: number,
    ssid: string,
    state: number,
    homeAgent: string | undefined,
    careOfAddress: string | undefined,
    expiresAt: number,
    lastCode: number,
    lastSeen: number,
    attemptStartedAt: number,
    nai: string | undefined,
  ) {
    this.mac = mac;
    this.address = address;
    this.accessPoint = accessPoint;
    this.ssid = ssid;
    this.state = state;
    this.homeAgent = homeAgent;
    this.careOfAddress = careOfAddress;
    this.expiresAt = expiresAt;
    this.lastCode = lastCode;
    this.lastSeen = lastSeen;
    this.attemptStartedAt = attemptStartedAt;
    this.nai = nai;
  }

  /**
   * The last outcome as fields of the row, copied from the event: a row that kept the event's
   * object would hold one young object per attempt until the next (promoted by every scavenge in
   * between: the costliest allocation of the observation path in profiles).
   */
  outcomeKind: ClientOutcome['kind'] | undefined = undefined;
  outcomeCode = -1;
  outcomeReason: string | undefined = undefined;
  outcomeHomeAgent: string | undefined = undefined;
  outcomeForeignAgent: string | undefined = undefined;
  outcomeTransmissions = 0;
  outcomeAt = 0;
  outcomeSecurityAssociation: ClientOutcome['securityAssociation'] = undefined;

  setOutcome(o: ClientOutcome): void {
    this.outcomeKind = o.kind;
    this.outcomeCode = o.code ?? -1;
    this.outcomeReason = o.reason;
    this.outcomeHomeAgent = o.homeAgent;
    this.outcomeForeignAgent = o.foreignAgent;
    this.outcomeTransmissions = o.transmissions;
    this.outcomeAt = o.at;
    this.outcomeSecurityAssociation = o.securityAssociation;
  }

  /** The last outcome as the event carried it (the optional fields only when they were set). */
  outcome(): ClientOutcome | undefined {
    if (this.outcomeKind === undefined) return undefined;
    const o: ClientOutcome = {
      kind: this.outcomeKind,
      transmissions: this.outcomeTransmissions,
      at: this.outcomeAt,
    };
    if (this.outcomeCode >= 0) o.code = this.outcomeCode;
    if (this.outcomeReason !== undefined) o.reason = this.outcomeReason;
    if (this.outcomeHomeAgent !== undefined) o.homeAgent = this.outcomeHomeAgent;
    if (this.outcomeForeignAgent !== undefined) o.foreignAgent = this.outcomeForeignAgent;
    if (this.outcomeSecurityAssociation !== undefined)
      o.securityAssociation = this.outcomeSecurityAssociation;
    return o;
  }
}

/** One client as the pages and the JSON API show it. */
export interface ClientView {
  mac: string;
  address: string;
  accessPoint: string;
  ssid: string;
  state: ClientState;
  /** The client's NAI, null when its association gave none. */
  nai: string | null;
  /** The home agent's address. */
  homeAgent: string | null;
  /** The home agent's configured name (the label value), else its address. */
  homeAgentName: string | null;
  careOfAddress: string | null;
  /** Seconds until the registration expires (0 once past), null when not registered. */
  lifetimeLeftSeconds: number | null;
  lastCode: number | null;
  lastReason: string | null;
  /** How the last concluded attempt ended; null before the first. */
  lastOutcome: ClientOutcomeView | null;
  /** When the attempt in progress started (ms since epoch); null when none is in progress. */
  attemptStartedAt: number | null;
  /** ms since epoch of the last event about this client. */
  lastSeen: number;
}

/** `/api/v1/clients` items' lastOutcome: the engine's outcome plus the sentence the pages show. */
export interface ClientOutcomeView extends ClientOutcome {
  text: string;
}

export interface ClientFilter {
  accessPointSlot?: number | undefined;
  state?: ClientState | undefined;
}

const MAX_INTERNED = 4096;

function outcomeView(o: ClientOutcome | undefined): ClientOutcomeView | null {
  return o === undefined ? null : { ...o, text: describeOutcome(o) };
}

export class ClientTable {
  private readonly rows = new Map<string, ClientRow>();
  readonly byState = new Int32Array(CLIENT_STATES.length);
  readonly byAccessPoint: Int32Array;
  /** Clients per access point and state: `byAccessPointState[slot * CLIENT_STATES.length + state]`. */
  readonly byAccessPointState: Int32Array;
  /** Rows dropped for idleness. */
  expired = 0;
  /** Clients not tracked because the table was full. */
  untracked = 0;
  private lastSweep = -Infinity;
  /** SSIDs, home agents and care-of addresses repeat across clients: keep one copy of each. */
  private readonly interned = new Map<string, string>();

  constructor(
    accessPointCapacity: number,
    private readonly idleMs: number,
    private readonly maxClients: number,
  ) {
    this.byAccessPoint = new Int32Array(accessPointCapacity);
    this.byAccessPointState = new Int32Array(accessPointCapacity * CLIENT_STATES.length);
  }

  private count(accessPoint: number, state: number, n: number): void {
    const i = accessPoint * CLIENT_STATES.length + state;
    this.byAccessPointState[i] = this.byAccessPointState[i]! + n;
  }

  get size(): number {
    return this.rows.size;
  }

  upsert(e: ClientStateEvent, accessPoint: number, now: number): void {
    const row = this.rows.get(e.client.mac);
    const state = clientStateIndex(e.state);
    if (row === undefined) {
      if (this.rows.size >= this.maxClients) {
        this.sweep(now);
        if (this.rows.size >= this.maxClients) {
          this.untracked++;
          return;
        }
      }
      const created = new ClientRow(
        e.client.mac,
        e.client.address,
        accessPoint,
        this.intern(e.ssid),
        state,
        this.internOptional(e.homeAgent),
        this.internOptional(e.careOfAddress),
        e.expiresAt ?? NaN,
        e.lastCode ?? -1,
        now,
        e.attemptStartedAt ?? NaN,
        e.nai,
      );
      if (e.lastOutcome !== undefined) created.setOutcome(e.lastOutcome);
      this.rows.set(e.client.mac, created);
      this.byState[state] = this.byState[state]! + 1;
      this.byAccessPoint[accessPoint] = this.byAccessPoint[accessPoint]! + 1;
      this.count(accessPoint, state, 1);
      if (now - this.lastSweep >= this.sweepIntervalMs()) this.sweep(now);
      return;
    }
    if (row.state !== state || row.accessPoint !== accessPoint) {
      this.count(row.accessPoint, row.state, -1);
      this.count(accessPoint, state, 1);
    }
    if (row.state !== state) {
      this.byState[row.state] = this.byState[row.state]! - 1;
      this.byState[state] = this.byState[state]! + 1;
      row.state = state;
    }
    if (row.accessPoint !== accessPoint) {
      this.byAccessPoint[row.accessPoint] = this.byAccessPoint[row.accessPoint]! - 1;
      this.byAccessPoint[accessPoint] = this.byAccessPoint[accessPoint]! + 1;
      row.accessPoint = accessPoint;
    }
    row.address = e.client.address;
    row.nai = e.nai;
    // Equal strings keep the row's copy: no intern lookup (a map probe each) per event.
    if (row.ssid !== e.ssid) row.ssid = this.intern(e.ssid);
    if (row.homeAgent !== e.homeAgent) row.homeAgent = this.internOptional(e.homeAgent);
    if (row.careOfAddress !== e.careOfAddress) row.careOfAddress = this.internOptional(e.careOfAddress);
    row.expiresAt = e.expiresAt ?? NaN;
    if (e.lastCode !== undefined) row.lastCode = e.lastCode;
    if (e.lastOutcome !== undefined) row.setOutcome(e.lastOutcome);
    row.attemptStartedAt = e.attemptStartedAt ?? NaN;
    row.lastSeen = now;
  }

  remove(mac: string): void {
    const row = this.rows.get(mac);
    if (row === undefined) return;
    this.drop(row);
  }

  /** Drops rows idle for longer than the configured time; returns how many went. */
  sweep(now: number): number {
    this.lastSweep = now;
    const limit = now - this.idleMs;
    let n = 0;
    for (const row of this.rows.values()) {
      if (row.lastSeen < limit) {
        this.drop(row);
        n++;
      }
    }
    this.expired += n;
    return n;
  }

  maybeSweep(now: number): void {
    if (now - this.lastSweep >= this.sweepIntervalMs()) this.sweep(now);
  }

  list(
    filter: ClientFilter,
    now: number,
    accessPointName: (slot: number) => string,
    homeAgentName: (address: string) => string = (a) => a,
  ): ClientView[] {
    const out: ClientView[] = [];
    const wantState = filter.state === undefined ? -1 : clientStateIndex(filter.state);
    for (const r of this.rows.values()) {
      if (filter.accessPointSlot !== undefined && r.accessPoint !== filter.accessPointSlot) continue;
      if (wantState >= 0 && r.state !== wantState) continue;
      out.push({
        mac: r.mac,
        address: r.address,
        accessPoint: accessPointName(r.accessPoint),
        ssid: r.ssid,
        state: CLIENT_STATES[r.state]!,
        nai: r.nai ?? null,
        homeAgent: r.homeAgent ?? null,
        homeAgentName: r.homeAgent === undefined ? null : homeAgentName(r.homeAgent),
        careOfAddress: r.careOfAddress ?? null,
        lifetimeLeftSeconds: Number.isNaN(r.expiresAt)
          ? null
          : Math.max(0, Math.floor((r.expiresAt - now) / 1000)),
        lastCode: r.lastCode < 0 ? null : r.lastCode,
        lastReason: r.lastCode < 0 ? null : replyCode(r.lastCode).reason,
        lastOutcome: outcomeView(r.outcome()),
        attemptStartedAt: Number.isNaN(r.attemptStartedAt) ? null : r.attemptStartedAt,
        lastSeen: r.lastSeen,
      });
    }
    return out;
  }

  private drop(row: ClientRow): void {
    this.rows.delete(row.mac);
    this.byState[row.state] = this.byState[row.state]! - 1;
    this.byAccessPoint[row.accessPoint] = this.byAccessPoint[row.accessPoint]! - 1;
    this.count(row.accessPoint, row.state, -1);
  }

  private sweepIntervalMs(): number {
    return Math.min(this.idleMs / 4, 60_000);
  }

  private intern(s: string): string {
    const found = this.interned.get(s);
    if (found !== undefined) return found;
    if (this.interned.size < MAX_INTERNED) this.interned.set(s, s);
    return s;
  }

  private internOptional(s: string | undefined): string | undefined {
    return s === undefined ? undefined : this.intern(s);
  }
}
