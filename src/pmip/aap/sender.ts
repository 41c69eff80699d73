import type { Scheduler } from '../runtime/scheduler.ts';
import type { AapHeader } from './codec/index.ts';
import { MAX_RECEIVERS_PER_EPOCH } from './replay-guard.ts';

/**
 * Epochs handed out in this process, per sender id: one process may stop and start a node with
 * the same id within one millisecond (or under a fake clock that stands still), and its new epoch
 * must still be newer than the old one.
 */
const lastEpochs = new Map<string, number>();

/**
 * The header source of one sender: its id, a fresh epoch, and sequence numbers from 1 per
 * receiver (so a receiver's window sees every number, whatever the sender sends to others).
 */
export class AapSender {
  private currentEpoch: number;
  /** Receiver id -> last sequence number used towards it in this epoch. */
  private readonly sequences = new Map<string, number>();

  constructor(
    readonly senderId: string,
    private readonly scheduler: Scheduler,
  ) {
    this.currentEpoch = freshEpoch(senderId, scheduler);
  }

  get epoch(): number {
    return this.currentEpoch;
  }

  /**
   * The header for the next datagram to `receiverId`. After 2^32 - 1 datagrams to one receiver,
   * or for a receiver beyond MAX_RECEIVERS_PER_EPOCH, the sender moves to a new epoch: every
   * receiver's numbers start over from 1, and every receiver accepts the newer epoch.
   */
  next(receiverId: string): AapHeader {
    let sequence = this.sequences.get(receiverId) ?? 0;
    if (sequence >= 0xffffffff || (sequence === 0 && this.sequences.size >= MAX_RECEIVERS_PER_EPOCH)) {
      this.currentEpoch = freshEpoch(this.senderId, this.scheduler);
      this.sequences.clear();
      sequence = 0;
    }
    sequence++;
    this.sequences.set(receiverId, sequence);
    return { senderId: this.senderId, receiverId, epoch: this.currentEpoch, sequence };
  }
}

function freshEpoch(senderId: string, scheduler: Scheduler): number {
  const epoch = Math.max(Math.floor(scheduler.now()), (lastEpochs.get(senderId) ?? 0) + 1);
  lastEpochs.set(senderId, epoch);
  return epoch;
}
