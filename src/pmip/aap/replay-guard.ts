/**
 * Replay protection for the subnet map protocol (docs/aap-protocol.md, "Replay protection").
 *
 * Every datagram names its receiver (under the HMAC: AapReceiver refuses one that names another
 * node) and carries the sender's epoch (when it started, ms since the Unix epoch) and a sequence
 * number counted per (sender, receiver) pair: from 1, +1 per datagram to that receiver. A receiver
 * keeps, per (authenticated sender id, receiver id named), the newest epoch, the highest sequence
 * number and which of the 64 numbers below it it has seen:
 *
 * - no window yet, or a newer epoch (the sender restarted): accept, and start the window at this
 *   datagram, counting the 63 numbers below it as seen (this receiver cannot know whether it got
 *   them before it started: they may be replays);
 * - older epoch: stale;
 * - same epoch, higher sequence: accept; within the 64 below the highest and not seen yet: accept
 *   (datagrams may be reordered); otherwise: stale.
 *
 * Windows live in memory. When a restarted receiver's window for a sender is opened by the
 * sender's next real datagram, nothing older is ever accepted; when a replay of a datagram once
 * sent to this receiver gets there first, it is accepted, and so are, once each, the sender's
 * earlier datagrams to this receiver that are newer than it, until the window moves 64 past them.
 * The damage is bounded: every periodic report compares table digests and a mismatch brings the
 * full table back.
 */
export const REPLAY_WINDOW = 64;
const WINDOW_MASK = (1n << BigInt(REPLAY_WINDOW)) - 1n;
/**
 * Receivers a sender numbers datagrams for within one epoch. One more starts a new epoch (every
 * receiver accepts a newer epoch), so the sender's map stays bounded whatever ids it learns.
 */
export const MAX_RECEIVERS_PER_EPOCH = 65_536;

interface SenderState {
  epoch: number;
  highest: number;
  /** Bit i: sequence number highest - i has been seen. */
  seen: bigint;
}

export class ReplayGuard {
  /** Receiver id named in the datagrams -> sender id -> window. */
  private readonly pairs = new Map<string, Map<string, SenderState>>();

  /**
   * Checks a datagram's epoch and sequence number against the window of its (sender, receiver)
   * pair; records them when fresh. False: stale. Only call it for a receiver id that names this
   * node (AapReceiver checks that first), so that the pairs stay bounded by the site's nodes.
   */
  accept(senderId: string, epoch: number, sequence: number, receiverId = ''): boolean {
    let senders = this.pairs.get(receiverId);
    if (!senders) {
      senders = new Map();
      this.pairs.set(receiverId, senders);
    }
    const s = senders.get(senderId);
    if (!s || epoch > s.epoch) {
      senders.set(senderId, { epoch, highest: sequence, seen: WINDOW_MASK });
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

  /**
   * (sender, receiver) pairs heard from: bounded by the site's APs and AAPs times this node's
   * names (only authenticated senders and this node's own names count).
   */
  get size(): number {
    let n = 0;
    for (const senders of this.pairs.values()) n += senders.size;
    return n;
  }
}
