import type { Scheduler } from '../runtime/scheduler.ts';
import type { AapHeader } from './aap-codec.ts';

/**
 * Replay protection for the subnet map protocol (docs/aap-protocol.md, "Replay protection").
 *
 * Every sender stamps its datagrams with an epoch (when it started, ms since the Unix epoch) and a
 * sequence number that starts at 1 and grows by one per datagram, whatever the destination. A
 * receiver keeps, per authenticated sender id, the newest epoch, the highest sequence number and
 * which of the 64 numbers below it it has seen:
 *
 * - older epoch: stale;
 * - newer epoch: the sender restarted; accept and start over from this datagram;
 * - same epoch, higher sequence: accept; within the 64 below the highest and not seen yet: accept
 *   (datagrams may be reordered); otherwise: stale.
 *
 * A receiver that has never heard from a sender accepts its first datagram: a receiver that
 * restarted may be fed one replayed datagram per sender. The damage is bounded: every periodic
 * report compares table digests and a mismatch brings the full table back.
 */
export const REPLAY_WINDOW = 64;
const WINDOW_MASK = (1n << BigInt(REPLAY_WINDOW)) - 1n;

interface SenderState {
  epoch: number;
  highest: number;
  /** Bit i: sequence number highest - i has been seen. */
  seen: bigint;
}

export class ReplayGuard {
  private readonly senders = new Map<string, SenderState>();

  /** Checks a datagram's epoch and sequence number; records them when fresh. False: stale. */
  accept(senderId: string, epoch: number, sequence: number): boolean {
    const s = this.senders.get(senderId);
    if (!s || epoch > s.epoch) {
      this.senders.set(senderId, { epoch, highest: sequence, seen: 1n });
      return true;
    }
    if (epoch < s.epoch) return false;
    if (sequence > s.highest) {
      const shift = sequence - s.highest;
      s.seen = shift >= REPLAY_WINDOW ? 1n : ((s.seen << BigInt(shift)) | 1n) & WINDOW_MASK;
      s.highest = sequence;
      return true;
    }
    const back = s.highest - sequence;
    if (back >= REPLAY_WINDOW) return false;
    const bit = 1n << BigInt(back);
    if ((s.seen & bit) !== 0n) return false;
    s.seen |= bit;
    return true;
  }

  /** Senders heard from (bounded by the site's APs and AAPs: only authenticated senders count). */
  get size(): number {
    return this.senders.size;
  }
}

/**
 * Epochs handed out in this process, per sender id: one process may stop and start a node with
 * the same id within one millisecond (or under a fake clock that stands still), and its new epoch
 * must still be newer than the old one.
 */
const lastEpochs = new Map<string, number>();

/** The header source of one sender: its id, a fresh epoch, and sequence numbers from 1. */
export class AapSender {
  private currentEpoch: number;
  private sequence = 0;

  constructor(
    readonly senderId: string,
    private readonly scheduler: Scheduler,
  ) {
    this.currentEpoch = freshEpoch(senderId, scheduler);
  }

  get epoch(): number {
    return this.currentEpoch;
  }

  /** The header for the next datagram. After 2^32 - 1 datagrams the sender moves to a new epoch. */
  next(): AapHeader {
    if (this.sequence >= 0xffffffff) {
      this.currentEpoch = freshEpoch(this.senderId, this.scheduler);
      this.sequence = 0;
    }
    this.sequence++;
    return { senderId: this.senderId, epoch: this.currentEpoch, sequence: this.sequence };
  }
}

function freshEpoch(senderId: string, scheduler: Scheduler): number {
  const epoch = Math.max(Math.floor(scheduler.now()), (lastEpochs.get(senderId) ?? 0) + 1);
  lastEpochs.set(senderId, epoch);
  return epoch;
}
