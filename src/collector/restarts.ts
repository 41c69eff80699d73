/**
 * The agents' last restarts (`agent-reboot-detected`: an agent advertisement whose sequence
 * number started again below 256, RFC 5944 section 2.1.1), for the health overview's headline: a
 * restarted home agent lost its bindings, a foreign agent its visitor list. The latest per
 * agent, and at most `MAX_RECENT_RESTARTS` agents (the oldest goes): anyone on the link can send
 * advertisements under any source address, so nothing here grows with what arrives.
 */
import type { AgentRebootDetectedEvent } from '../pmip/events.ts';

export const MAX_RECENT_RESTARTS = 16;
/** Sightings of one agent's restart this close together are one restart seen by several access points. */
export const SAME_RESTART_MS = 10_000;
/** Access points named per restart, at most. */
export const MAX_SEEN_BY = 8;

export interface AgentRestart {
  /** The advertising agent's address. */
  agent: string;
  /** From the advertisement's flags where the observer saw it on the link; else undefined. */
  role: 'home-agent' | 'foreign-agent' | undefined;
  /** The access points that saw it, or `link` (observed on an advertisement to the whole link). */
  seenBy: string[];
  /** When the collector learnt of it (its own clock), ms. */
  time: number;
  previousSequence: number;
  sequence: number;
  /** Restarts of this agent since it entered the list (sightings within `SAME_RESTART_MS`: one). */
  count: number;
}

export class RecentRestarts {
  /** Oldest first. */
  private readonly list: AgentRestart[] = [];

  /** `now`: the collector's clock (an access point's own may be off: the demo's ap-2 by 3 h). */
  record(e: AgentRebootDetectedEvent, now: number): void {
    const i = this.list.findIndex((r) => r.agent === e.agent);
    const prev = i >= 0 ? this.list[i]! : undefined;
    if (prev && now - prev.time <= SAME_RESTART_MS) {
      // The same restart, seen at another access point as well.
      if (!prev.seenBy.includes(e.node) && prev.seenBy.length < MAX_SEEN_BY) prev.seenBy.push(e.node);
      return;
    }
    const count = prev ? prev.count + 1 : 1;
    if (i >= 0) this.list.splice(i, 1);
    this.list.push({
      agent: e.agent,
      role: e.toLink ? (e.foreignAgent ? 'foreign-agent' : 'home-agent') : undefined,
      seenBy: [e.node],
      time: now,
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
      if (this.list[i]!.time >= time) out.push({ ...this.list[i]!, seenBy: [...this.list[i]!.seenBy] });
    return out;
  }
}
