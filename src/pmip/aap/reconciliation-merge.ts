import { networkOf } from '../wire/ipv4.ts';
import type { AapStateRow } from './codec/index.ts';
import { rowKey } from '../subnet-map/digest.ts';

/**
 * The merge of rows between AAPs (docs/aap-protocol.md, reconciliation), as pure functions: rows
 * carry a change stamp and removals stay as tombstones, so per row key the newest stamp wins and
 * every AAP ends with the same rows whatever order the merges happen in.
 */

/** An AAP's record of one row key: the row, its change stamp and whether it is a tombstone. */
export interface RowMeta {
  homeAgent: number;
  prefixLength: number;
  network: number;
  deleted: boolean;
  stamp: number;
}

/** The merge order: newer stamp, then higher home agent, then removal over presence. */
export function newer(a: AapStateRow, b: AapStateRow): boolean {
  if (a.stamp !== b.stamp) return a.stamp > b.stamp;
  if (a.homeAgent !== b.homeAgent) return a.homeAgent > b.homeAgent;
  return a.deleted && !b.deleted;
}

/** Where the stamps stand: the highest seen so far, and the time (ms) a new stamp is taken at. */
export interface StampClock {
  lastStamp: number;
  now: number;
}

/** A new stamp: now, or one past the highest seen when that is later. */
export function nextStamp(lastStamp: number, now: number): number {
  return Math.max(Math.floor(now), lastStamp + 1);
}

export interface MergeOutcome {
  /** New records per row key, in the order decided (rows taken and rows restamped). */
  records: Array<[key: number, record: RowMeta]>;
  /** The rows taken, for the visible table, in order. */
  taken: AapStateRow[];
  /** The highest stamp afterwards. */
  lastStamp: number;
}

/**
 * Merges rows from another AAP into `local`: per row key the newest stamp wins (`newer`). One
 * exception keeps what an AAP sees with its own eyes: a removal of a subnet where one of its own
 * APs lives (`livesHere`) is refused, and the row restamped so that it wins back everywhere.
 * Rows are taken one after the other, a later row of the same key against the earlier outcome.
 */
export function merge(
  local: ReadonlyMap<number, RowMeta>,
  incoming: readonly AapStateRow[],
  livesHere: (key: number) => boolean,
  clock: StampClock,
): MergeOutcome {
  const decided = new Map<number, RowMeta>();
  const records: MergeOutcome['records'] = [];
  const taken: AapStateRow[] = [];
  let lastStamp = clock.lastStamp;
  for (const r of incoming) {
    const network = networkOf(r.homeAgent, r.prefixLength);
    const key = rowKey(network, r.prefixLength);
    lastStamp = Math.max(lastStamp, r.stamp);
    const current = decided.get(key) ?? local.get(key);
    if (current && !newer(r, current)) continue;
    if (r.deleted && current && !current.deleted && livesHere(key)) {
      lastStamp = nextStamp(lastStamp, clock.now);
      const restamped = { ...current, stamp: lastStamp };
      decided.set(key, restamped);
      records.push([key, restamped]);
      continue;
    }
    const record: RowMeta = {
      homeAgent: r.homeAgent,
      prefixLength: r.prefixLength,
      network,
      deleted: r.deleted,
      stamp: r.stamp,
    };
    decided.set(key, record);
    records.push([key, record]);
    taken.push(r);
  }
  return { records, taken, lastStamp };
}
