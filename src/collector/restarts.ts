/**
 * The agents' last restarts (`agent-reboot-detected`: an agent advertisement whose sequence
 * number started again below 256, RFC 5944 section 2.1.1), for the health overview's headline: a
 * restarted home agent lost its bindings, a foreign agent its visitor list. The latest per
 * agent, and at most `MAX_RECENT_RESTARTS` agents (the oldest goes): anyone on the link can send
 * advertisements under any source address, so nothing here grows with what arrives.
 */
import type { AgentRebootDetectedEvent } from '../pmip/events.ts';

export const MAX_RECENT_RESTARTS = 16;

export interface AgentRestart {
  /** The advertising agent's address. */
  agent: string;
  /** From the advertisement's flags where the observer saw it on the link; else undefined. */
  role: 'home-agent' | 'foreign-agent' | undefined;
  /** The access point that received the advertisement, or `link` (observed, to the whole link). */
  seenBy: string;
  time: number;
  previousSequence: number;
  sequence: number;
  /** Restarts of this agent since it entered the list. */
  count: number;
}

export class RecentRestarts {
  /** Oldest first. */
  private readonly list: AgentRestart[] = [];

  record(e: AgentRebootDetectedEvent): void {
    const i = this.list.findIndex((r) => r.agent === e.agent);
    const count = i >= 0 ? this.list[i]!.count + 1 : 1;
    if (i >= 0) this.list.splice(i, 1);
    this.list.push({
      agent: e.agent,
      role: e.toLink ? (e.foreignAgent ? 'foreign-agent' : 'home-agent') : undefined,
      seenBy: e.node,
      time: e.time,
      previousSequence: e.previousSequence,
      sequence: e.sequence,
      count,
    });
    if (this.list.length > MAX_RECENT_RESTARTS) this.list.shift();
  }

  /** The restarts at or after `time`, newest first (copies). */
  since(time: number): AgentRestart[] {
    const out: AgentRestart[] = [];
    for (let i = this.list.length - 1; i >= 0; i--)
      if (this.list[i]!.time >= time) out.push({ ...this.list[i]! });
    return out;
  }
}
