import {
  decodeIcmpMobility,
  encodeAgentSolicitation,
  isWireError,
  type AgentAdvertisement,
} from '../wire/index.ts';
import type { Peer } from '../runtime/udp.ts';

/** An agent heard on the link, as its advertisements describe it (RFC 5944 section 2.1). */
export interface KnownAgent {
  address: string;
  /** The port the advertisements come from. Address and port together identify the agent. */
  port: number;
  sequence: number;
  registrationLifetime: number;
  homeAgent: boolean;
  foreignAgent: boolean;
  busy: boolean;
  careOfAddresses: string[];
  firstSeen: number;
  lastSeen: number;
  /** lastSeen plus the advertisement's lifetime (ICMP router lifetime, at most MAX_AGENT_ENTRY_LIFETIME_S). */
  expiresAt: number;
  /** Advertisements heard from this endpoint with the sequence number moving on (1 = heard once). */
  heard: number;
}

/** Agents held at once; more are refused (`agent-table-full`) until entries expire. */
export const AGENT_TABLE_CAPACITY = 256;
/** An entry lives at most this long after its last advertisement, whatever the advertisement says. */
export const MAX_AGENT_ENTRY_LIFETIME_S = 1800;
/** Sequence numbers below this are only ever used after an agent (re)starts (RFC 5944 section 2.3.2). */
export const REBOOT_SEQUENCE_LIMIT = 256;
/** A reboot triggers at most one re-registration round per agent per this long (or per advertisement lifetime). */
export const REBOOT_ROUND_MIN_INTERVAL_MS = 10_000;
/** Advertisements a new agent must be heard with before it may replace the current foreign agent. */
export const ADVERTISEMENTS_TO_SWITCH = 2;

export interface AgentDiscoveryOptions {
  /** Whether advertisements from this source address are accepted at all (default: all). */
  accept?: (address: string) => boolean;
  /** Addresses to prefer, best first, when a foreign agent has to be chosen (the allow-list). */
  preferred?: readonly string[];
  /** Default AGENT_TABLE_CAPACITY. */
  capacity?: number;
}

/** Why an advertisement was refused (the malformed-datagram error kind it is counted under). */
export const REFUSAL_KINDS = ['refused-source', 'agent-table-full'] as const;
export type RefusalKind = (typeof REFUSAL_KINDS)[number];

export type AdvertisementOutcome =
  | { kind: 'malformed'; errorKind: string }
  | { kind: 'refused'; errorKind: RefusalKind }
  | { kind: 'ignored' }
  | {
      kind: 'advertisement';
      agent: KnownAgent;
      advertisement: AgentAdvertisement;
      /** This agent is the current foreign agent (after this advertisement). */
      current: boolean;
      /** A usable foreign agent that was not adopted: another one is current. */
      switchRefused: boolean;
      /** The sequence number went down into 0-255: `act` false when rate-limited. */
      reboot?: { previousSequence: number; act: boolean };
    };

export const endpointKey = (p: Peer): string => `${p.address}:${p.port}`;

function usableForeignAgent(a: KnownAgent): boolean {
  return a.foreignAgent && !a.busy && a.careOfAddresses.length > 0;
}

/**
 * RFC 5944 section 2.4.4: two successive sequence numbers from the same agent, "the second of which
 * is less than the first and inside the range 0 through 255", mean the agent rebooted; a decrease
 * that stays at or above 256 is the rollover after 0xffff.
 */
export function isRebootSequence(previous: number, current: number): boolean {
  return current < REBOOT_SEQUENCE_LIMIT && current < previous;
}

/**
 * Agent discovery on the access point: what the advertisements on this link say about the
 * agents (RFC 5944 section 2), and which foreign agent the access point registers through.
 * Pure state (time comes in as `now`); the access point owns the socket.
 *
 * Advertisements are unauthenticated (RFC 5944 section 2: "No authentication is required for
 * Agent Advertisement and Agent Solicitation messages"), so the table is built to resist a sender
 * that forges them (docs/agents.md, "Access point: agent discovery under attack"):
 *
 * - only sources that `accept` allows get in (the access point's subnet, the allow-list);
 * - agents are keyed by endpoint (address and port): a datagram from the agent's address on
 *   another port is another agent, and cannot touch the real one's sequence number or lifetime;
 * - entries expire at the advertisement's lifetime, the table holds at most `capacity` agents;
 * - the current foreign agent is kept while its advertisement lifetime runs; it is replaced only
 *   once it expired (or stopped offering a care-of address), and then only by an agent heard at
 *   least twice, never on a single advertisement;
 * - a reboot (RFC 5944 section 2.4.4) is a sequence number that went down into 0-255 from the
 *   same endpoint, and acts at most once per REBOOT_ROUND_MIN_INTERVAL_MS (or advertisement
 *   lifetime, when longer) per agent.
 */
export class AgentDiscovery {
  private readonly agents = new Map<string, KnownAgent>();
  private readonly lastRebootRound = new Map<string, number>();
  private readonly accept: (address: string) => boolean;
  private readonly preferred: readonly string[];
  private readonly capacity: number;
  private currentKey: string | undefined;
  /** Once a foreign agent was adopted, a new one needs ADVERTISEMENTS_TO_SWITCH advertisements. */
  private adoptedBefore = false;
  /** No entry expires before this (a lower bound; sweeping recomputes it). */
  private earliestExpiry = Infinity;

  constructor(options: AgentDiscoveryOptions = {}) {
    this.accept = options.accept ?? (() => true);
    this.preferred = options.preferred ?? [];
    this.capacity = Math.max(1, options.capacity ?? AGENT_TABLE_CAPACITY);
  }

  /** Agents in the table (expired ones included until swept). */
  get size(): number {
    return this.agents.size;
  }

  /** Decodes one advertisement datagram from `from` and updates the agent table. */
  receive(payload: Buffer, from: Peer, now: number): AdvertisementOutcome {
    if (!this.accept(from.address)) return { kind: 'refused', errorKind: 'refused-source' };
    let message;
    try {
      message = decodeIcmpMobility(payload);
    } catch (e) {
      if (isWireError(e)) return { kind: 'malformed', errorKind: e.kind };
      throw e;
    }
    if (message.type !== 'agent-advertisement') return { kind: 'ignored' };
    if (now >= this.earliestExpiry) this.sweep(now);

    const key = endpointKey(from);
    const lifetimeMs = Math.min(Math.max(message.routerLifetime, 1), MAX_AGENT_ENTRY_LIFETIME_S) * 1000;
    let agent = this.agents.get(key);
    let reboot: { previousSequence: number; act: boolean } | undefined;
    if (!agent) {
      if (this.agents.size >= this.capacity) return { kind: 'refused', errorKind: 'agent-table-full' };
      agent = {
        address: from.address,
        port: from.port,
        sequence: message.sequence,
        registrationLifetime: 0,
        homeAgent: false,
        foreignAgent: false,
        busy: false,
        careOfAddresses: [],
        firstSeen: now,
        lastSeen: now,
        expiresAt: now,
        heard: 1,
      };
      this.agents.set(key, agent);
    } else if (isRebootSequence(agent.sequence, message.sequence)) {
      const last = this.lastRebootRound.get(key) ?? -Infinity;
      const act = now - last >= Math.max(REBOOT_ROUND_MIN_INTERVAL_MS, lifetimeMs);
      if (act) this.lastRebootRound.set(key, now);
      reboot = { previousSequence: agent.sequence, act };
      agent.heard = 1; // a new life: heard once since
    } else if (message.sequence !== agent.sequence) {
      agent.heard++; // moving on (or rolling over from 0xffff to 256); a repeat does not count
    }
    agent.sequence = message.sequence;
    agent.registrationLifetime = message.registrationLifetime;
    agent.homeAgent = message.flags.H;
    agent.foreignAgent = message.flags.F;
    agent.busy = message.flags.B;
    agent.careOfAddresses = message.careOfAddresses;
    agent.lastSeen = now;
    agent.expiresAt = now + lifetimeMs;
    if (agent.expiresAt < this.earliestExpiry) this.earliestExpiry = agent.expiresAt;

    const current = this.foreignAgent(now);
    const outcome: AdvertisementOutcome = {
      kind: 'advertisement',
      agent,
      advertisement: message,
      current: current === agent,
      switchRefused: current !== undefined && current !== agent && usableForeignAgent(agent),
    };
    if (reboot) outcome.reboot = reboot;
    return outcome;
  }

  /**
   * The foreign agent to register through. The current one stays while its advertisement
   * lifetime runs (or while nothing else qualifies); once it expired, the best live agent heard
   * at least ADVERTISEMENTS_TO_SWITCH times replaces it: preferred (allow-list order) first, then
   * the longest known. The very first foreign agent may be adopted on one advertisement.
   */
  foreignAgent(now: number): KnownAgent | undefined {
    const cur = this.currentKey !== undefined ? this.agents.get(this.currentKey) : undefined;
    const curUsable = cur !== undefined && usableForeignAgent(cur);
    if (curUsable && cur.expiresAt > now) return cur;
    let best: KnownAgent | undefined;
    let bestRank = Infinity;
    const needed = this.adoptedBefore ? ADVERTISEMENTS_TO_SWITCH : 1;
    for (const a of this.agents.values()) {
      if (a === cur || !usableForeignAgent(a) || a.expiresAt <= now || a.heard < needed) continue;
      const p = this.preferred.indexOf(a.address);
      const rank = p < 0 ? this.preferred.length : p;
      if (!best || rank < bestRank || (rank === bestRank && a.firstSeen < best.firstSeen)) {
        best = a;
        bestRank = rank;
      }
    }
    if (best) {
      this.currentKey = endpointKey(best);
      this.adoptedBefore = true;
      return best;
    }
    if (curUsable) return cur; // expired, but nothing qualifies to replace it
    this.currentKey = undefined;
    return undefined;
  }

  /** Live agents (not expired at `now`; the current foreign agent always). */
  list(now: number): KnownAgent[] {
    return [...this.agents.values()].filter((a) => a.expiresAt > now || endpointKey(a) === this.currentKey);
  }

  /** Drops expired entries (never the current foreign agent). */
  sweep(now: number): void {
    let earliest = Infinity;
    for (const [key, a] of this.agents) {
      if (a.expiresAt <= now && key !== this.currentKey) {
        this.agents.delete(key);
        this.lastRebootRound.delete(key);
      } else if (a.expiresAt > now && a.expiresAt < earliest) earliest = a.expiresAt;
    }
    this.earliestExpiry = earliest;
  }

  static solicitation(): Buffer {
    return encodeAgentSolicitation();
  }
}
