import { NTP_UNIX_OFFSET_SECONDS, identificationHigh } from '../wire/index.ts';

/**
 * Timestamp replay protection (RFC 5944 section 5.7): the access point stamps each request with
 * its own clock, and a home agent whose clock differs by more than its window denies with code
 * 133, putting its own time in the high 32 bits of the reply's identification (section 5.7.1).
 * This keeps, per home agent, the offset learnt from such a reply, so that the next requests carry
 * the home agent's time. Pure state; time comes in as arguments.
 */

/**
 * The home agent's clock minus ours (seconds), from a 133 reply: its time is whole seconds, so
 * take the middle of its second; ours is the middle of the round trip (request sent at
 * `sentAtMs`, reply received at `nowMs`).
 */
export function offsetFromReply(replyIdentification: bigint, sentAtMs: number, nowMs: number): number {
  const theirs = identificationHigh(replyIdentification) - NTP_UNIX_OFFSET_SECONDS + 0.5;
  const ours = (sentAtMs + nowMs) / 2000;
  return theirs - ours;
}

export class ClockOffsets {
  private readonly offsets = new Map<string, number>();

  /** The offset learnt for `homeAgent` (seconds; 0 when none). */
  of(homeAgent: string): number {
    return this.offsets.get(homeAgent) ?? 0;
  }

  set(homeAgent: string, offsetSeconds: number): void {
    this.offsets.set(homeAgent, offsetSeconds);
  }

  clear(): void {
    this.offsets.clear();
  }
}
