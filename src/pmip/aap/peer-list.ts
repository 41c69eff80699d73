import type { Peer } from '../runtime/udp.ts';
import { peerLabel, samePeer, type AapPeerConfig } from './endpoint.ts';

export interface PeerSlot {
  config: AapPeerConfig;
  label: string;
}

/**
 * The site's AAPs in the order the access points use, this AAP at its place: the peers it
 * reconciles with, and after it the ones an unreachable AP is handed over to.
 */
export class PeerList {
  private slots: PeerSlot[] = [];
  /** This AAP's place in the order. */
  private self = 0;

  /**
   * Fills the list once the socket is bound, from the configured AAPs (none: this AAP alone),
   * finding this AAP by its bound endpoint `self`. Empty before: every peer is unknown.
   */
  resolve(id: string, self: Peer, configured: readonly AapPeerConfig[]): void {
    if (configured.length === 0) {
      this.slots = [{ config: { id, ...self }, label: id }];
      this.self = 0;
      return;
    }
    this.self = configured.findIndex((p) => samePeer(p, self));
    if (this.self < 0)
      throw new Error(
        `aaps[${id}].aaps: must list this AAP (${self.address}:${self.port}) at its place in the order`,
      );
    this.slots = configured.map((p, i) => ({ config: p, label: i === this.self ? id : peerLabel(p) }));
  }

  get selfIndex(): number {
    return this.self;
  }

  get length(): number {
    return this.slots.length;
  }

  at(index: number): PeerSlot {
    return this.slots[index]!;
  }

  /** Indexes of every other AAP. */
  others(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.slots.length; i++) if (i !== this.self) out.push(i);
    return out;
  }

  /** The other AAP at this endpoint, -1 for none. */
  indexOf(from: Peer): number {
    return this.slots.findIndex((p, i) => i !== this.self && samePeer(p.config, from));
  }
}
