import type { Peer } from '../runtime/udp.ts';
import { sealAapBody, sealAapMessage, type AapMessage } from './codec/index.ts';
import type { DatagramSocket } from './endpoint.ts';
import type { AapSender } from './sender.ts';

/**
 * What an AAP sends goes through here: sealed with the next header of the one sender (epoch and
 * per-receiver sequence numbers, see sender.ts) and the group key, on the one socket; nothing
 * once stopped. Also hands out the ids of updates, pulls and hand-overs.
 */
export class Outbox {
  private socket: DatagramSocket | undefined;
  private closed = false;
  private lastId = 0;

  constructor(
    private readonly sender: AapSender,
    private readonly key: Uint8Array,
  ) {}

  /** The socket datagrams go out on (bound at start). */
  attach(socket: DatagramSocket): void {
    this.socket = socket;
  }

  /** Sends nothing from now on; returns the socket to close. */
  close(): DatagramSocket | undefined {
    this.closed = true;
    const socket = this.socket;
    this.socket = undefined;
    return socket;
  }

  /** The bound socket's address and port, undefined before start and after stop. */
  get address(): string | undefined {
    return this.socket?.address;
  }

  get port(): number | undefined {
    return this.socket?.port;
  }

  get stopped(): boolean {
    return this.closed;
  }

  /**
   * Seals an encoded body for one receiver: `receiverId` is what the datagram names, under the
   * HMAC (an AP's id; a peer AAP's label: its configured id, else its endpoint). Bodies are sized
   * for the longest receiver id (rowsPerChunk), so one encoding serves every receiver.
   */
  sendBody(to: Peer, receiverId: string, type: AapMessage['type'], body: Uint8Array): void {
    const socket = this.socket;
    if (this.closed || !socket) return;
    socket.send(sealAapBody(this.sender.next(receiverId), type, body, this.key), to);
  }

  send(to: Peer, receiverId: string, message: AapMessage): void {
    const socket = this.socket;
    if (this.closed || !socket) return;
    socket.send(sealAapMessage(this.sender.next(receiverId), message, this.key), to);
  }

  /** The next update, pull or hand-over id: 1 to 2^32 - 1, then from 1 again. */
  nextId(): number {
    this.lastId = this.lastId >= 0xffffffff ? 1 : this.lastId + 1;
    return this.lastId;
  }
}
