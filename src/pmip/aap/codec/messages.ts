import type { Digest } from '../../subnet-map/digest.ts';

/** The messages of the subnet map protocol as typed values (docs/aap-protocol.md, section 3). */

/** A row on the wire: home agent (uint32) and prefix length. */
export interface AapRow {
  homeAgent: number;
  prefixLength: number;
}

export interface AapRowOp extends AapRow {
  op: 'upsert' | 'remove';
}

/**
 * Rows of a table or update as columns: a 10,000-row table to each of hundreds of APs allocates
 * nothing per row on either side. `rowsFrom`/`rowsToArray` convert from and to objects.
 */
export interface AapRows {
  homeAgents: Uint32Array;
  prefixLengths: Uint8Array;
}

/** Update operations as columns: `removes[i]` is 1 for a removal, 0 for an upsert. */
export interface AapOps extends AapRows {
  removes: Uint8Array;
}

/** A row between AAPs: with its change stamp (48-bit, ms-based logical clock) and tombstone flag. */
export interface AapStateRow extends AapRow {
  deleted: boolean;
  stamp: number;
}

export interface AapChunk {
  index: number;
  count: number;
}

/** AP -> AAP: here is my home agent (if known) and my table's digest; answer with the table. */
export interface AapReport {
  type: 'report';
  /** The whole table is wanted even if the digest matches (start, refresh, clear). */
  full: boolean;
  homeAgent: AapRow | null;
  digest: Digest;
}

/** AAP -> AP: the whole table (in chunks), or `unchanged` (one datagram, no rows). */
export interface AapTable {
  type: 'table';
  version: number;
  digest: Digest;
  totalRows: number;
  unchanged: boolean;
  chunk: AapChunk;
  rows: AapRows;
}

/** AAP -> AP: incremental changes; the AP acknowledges the whole update once every chunk is in. */
export interface AapUpdate {
  type: 'update';
  updateId: number;
  version: number;
  /** The AAP's digest after the change: the AP compares and re-fetches on a mismatch. */
  digest: Digest;
  chunk: AapChunk;
  ops: AapOps;
}

/** Acknowledges an update (AP -> AAP) or a hand-over (AAP -> AAP). */
export interface AapAck {
  type: 'ack';
  acked: 'update' | 'handover';
  id: number;
  version: number;
  digest: Digest;
}

/** AAP -> AAP, periodically: version, row count, digest and one digest per reconciliation bucket. */
export interface AapDigest {
  type: 'digest';
  version: number;
  rows: number;
  digest: Digest;
  buckets: Digest[];
}

/** AAP -> AAP: send me your rows (tombstones included) of these buckets. */
export interface AapPull {
  type: 'pull';
  transferId: number;
  /** Bit i set: bucket i is wanted. */
  buckets: bigint;
}

/** AAP -> AAP: the answer to a pull, in chunks. */
export interface AapState {
  type: 'state';
  transferId: number;
  version: number;
  digest: Digest;
  chunk: AapChunk;
  rows: AapStateRow[];
}

export interface AapAccessPointRef {
  id: string;
  address: string;
  port: number;
}

/** AAP -> next AAP: this AP did not acknowledge these changes; try it yourself. */
export interface AapHandover {
  type: 'handover';
  handoverId: number;
  accessPoint: AapAccessPointRef;
  chunk: AapChunk;
  rows: AapStateRow[];
}

/** AP -> AAP: I am leaving your AP list (stopped: PMIP disabled or shut down; moved: to another AAP). */
export interface AapLeave {
  type: 'leave';
  reason: 'stopped' | 'moved';
}

export type AapMessage =
  AapReport | AapTable | AapUpdate | AapAck | AapDigest | AapPull | AapState | AapHandover | AapLeave;

export interface AapHeader {
  senderId: string;
  /**
   * The node this datagram is for, under the HMAC: an AP's id, an AAP's id, or (an AAP whose id
   * the sender is not configured with) the AAP's endpoint `address:port`. Checked on receipt.
   */
  receiverId: string;
  /** When the sender started, ms since the Unix epoch (48 bits): a restart is a new epoch. */
  epoch: number;
  /** Datagram counter of this sender towards this receiver, from 1, within an epoch. */
  sequence: number;
}

export interface AapEnvelope extends AapHeader {
  message: AapMessage;
}

export type AapMessageKind = AapMessage['type'];
