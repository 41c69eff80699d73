import {
  decodeIcmpMobility,
  encodeAgentSolicitation,
  indicatesAgentReboot,
  isWireError,
  type AgentAdvertisement,
} from '../wire/index.ts';
import type { Peer } from '../runtime/udp.ts';

/**
 * Agent discovery on the access point: what the advertisements on this link say about the
 * agents (RFC 5944 section 2). Pure state; the access point owns the socket.
 */
export interface KnownAgent {
  address: string;
  sequence: number;
  registrationLifetime: number;
  homeAgent: boolean;
  foreignAgent: boolean;
  busy: boolean;
  careOfAddresses: string[];
  lastSeen: number;
}

export type AdvertisementOutcome =
  | { kind: 'malformed'; errorKind: string }
  | { kind: 'ignored' }
  | { kind: 'advertisement'; agent: KnownAgent; advertisement: AgentAdvertisement; rebootFrom?: number };

export class AgentDiscovery {
  private readonly agents = new Map<string, KnownAgent>();

  /** Decodes one advertisement datagram from `from` and updates the agent table. */
  receive(payload: Buffer, from: Peer, now: number): AdvertisementOutcome {
    let message;
    try {
      message = decodeIcmpMobility(payload);
    } catch (e) {
      if (isWireError(e)) return { kind: 'malformed', errorKind: e.kind };
      throw e;
    }
    if (message.type !== 'agent-advertisement') return { kind: 'ignored' };
    const previous = this.agents.get(from.address);
    const agent: KnownAgent = {
      address: from.address,
      sequence: message.sequence,
      registrationLifetime: message.registrationLifetime,
      homeAgent: message.flags.H,
      foreignAgent: message.flags.F,
      busy: message.flags.B,
      careOfAddresses: message.careOfAddresses,
      lastSeen: now,
    };
    this.agents.set(from.address, agent);
    const outcome: AdvertisementOutcome = { kind: 'advertisement', agent, advertisement: message };
    if (previous && indicatesAgentReboot(previous.sequence, message.sequence))
      outcome.rebootFrom = previous.sequence;
    return outcome;
  }

  /** The foreign agent to use: the most recently heard, not busy, with a care-of address. */
  foreignAgent(): KnownAgent | undefined {
    let best: KnownAgent | undefined;
    for (const a of this.agents.values()) {
      if (a.foreignAgent && !a.busy && a.careOfAddresses.length > 0 && (!best || a.lastSeen > best.lastSeen))
        best = a;
    }
    return best;
  }

  list(): KnownAgent[] {
    return [...this.agents.values()];
  }

  static solicitation(): Buffer {
    return encodeAgentSolicitation();
  }
}
