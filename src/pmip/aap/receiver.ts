import type { AgentEmitter } from '../agents/common.ts';
import type { AapRefusalReason } from '../events.ts';
import type { Peer } from '../runtime/udp.ts';
import { isAapCodecError, openAapDatagram, type AapEnvelope } from './codec/index.ts';
import { ReplayGuard } from './replay-guard.ts';

/** Refused datagrams per reason (aap-message-refused). */
export interface RefusalCounts {
  unauthenticated: number;
  stale: number;
  malformed: number;
  unknownPeer: number;
  /** Authenticated, but addressed to another node (its receiver id is none of this node's names). */
  wrongReceiver: number;
}

/**
 * Opens datagrams for one node: the codec (structure, then the HMAC with the group key, then the
 * body), then the receiver (the datagram must name this node), then replay protection (one window
 * per sender and name). Whatever fails is counted, reported (aap-message-refused; a malformed one
 * also as malformed-datagram on the 'aap' socket) and dropped, never thrown.
 */
export class AapReceiver {
  readonly refused: RefusalCounts = {
    unauthenticated: 0,
    stale: 0,
    malformed: 0,
    unknownPeer: 0,
    wrongReceiver: 0,
  };
  private readonly replay = new ReplayGuard();
  /** The receiver ids this node answers to: its id, and for an AAP its endpoint once bound. */
  private readonly names: Set<string>;

  constructor(
    private readonly ownId: string,
    private readonly key: Uint8Array,
    private readonly emit: AgentEmitter,
  ) {
    this.names = new Set([ownId]);
  }

  /** Another receiver id this node answers to (an AAP: its bound endpoint, see endpointName). */
  answerTo(name: string): void {
    this.names.add(name);
  }

  open(payload: Buffer, from: Peer): AapEnvelope | undefined {
    let envelope: AapEnvelope;
    try {
      envelope = openAapDatagram(payload, this.key);
    } catch (error) {
      if (isAapCodecError(error) && error.kind === 'bad-hmac') this.refuse('unauthenticated', from);
      else this.malformed(isAapCodecError(error) ? error.kind : 'handler-error', from);
      return undefined;
    }
    // Sent to another node (a copy replayed here): not ours to act on, whoever signed it.
    if (!this.names.has(envelope.receiverId)) {
      this.refuse('wrong-receiver', from);
      return undefined;
    }
    // Our own datagrams reflected back to us are nobody's news.
    if (envelope.senderId === this.ownId) {
      this.refuse('unknown-peer', from);
      return undefined;
    }
    if (!this.replay.accept(envelope.senderId, envelope.epoch, envelope.sequence, envelope.receiverId)) {
      this.refuse('stale', from);
      return undefined;
    }
    return envelope;
  }

  /** A datagram that decoded but makes no sense here (a message type this side never receives). */
  malformed(errorKind: string, from: Peer): void {
    this.emit({ type: 'malformed-datagram', socket: 'aap', errorKind, peer: from.address });
    this.refuse('malformed', from);
  }

  refuse(reason: AapRefusalReason, from: Peer): void {
    if (reason === 'unknown-peer') this.refused.unknownPeer++;
    else if (reason === 'wrong-receiver') this.refused.wrongReceiver++;
    else this.refused[reason]++;
    this.emit({ type: 'aap-message-refused', reason, peer: from.address });
  }
}
