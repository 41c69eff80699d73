/**
 * Attempt deadlines in the order they were set (capture time mostly increases, so the queue is
 * first in, first out), as a ring of typed arrays: no object per entry and, once the ring is large
 * enough, no allocation at all. (Arrays sliced from time to time were young copies of thousands
 * of entries that every scavenge had to copy again: a measurable part of the observation path.)
 *
 * An entry names an item (the client) and a number (the attempt's), not the attempt itself: a
 * concluded attempt is garbage at once, instead of living on until its deadline.
 */
const INITIAL_CAPACITY = 1024;

export class DeadlineQueue<T> {
  private times = new Float64Array(INITIAL_CAPACITY);
  private seqs = new Float64Array(INITIAL_CAPACITY);
  private items: (T | undefined)[] = new Array<T | undefined>(INITIAL_CAPACITY).fill(undefined);
  private head = 0;
  private count = 0;
  private mask = INITIAL_CAPACITY - 1;

  get size(): number {
    return this.count;
  }

  push(time: number, item: T, seq: number): void {
    if (this.count === this.times.length) this.grow();
    const i = (this.head + this.count) & this.mask;
    this.times[i] = time;
    this.seqs[i] = seq;
    this.items[i] = item;
    this.count++;
  }

  /** The first entry is due by `at` (its time is at or before it). */
  due(at: number): boolean {
    return this.count > 0 && this.times[this.head]! <= at;
  }

  firstTime(): number {
    return this.times[this.head]!;
  }

  firstSeq(): number {
    return this.seqs[this.head]!;
  }

  firstItem(): T {
    return this.items[this.head]!;
  }

  /** Drops the first entry. */
  shift(): void {
    if (this.count === 0) return;
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.count--;
  }

  /** Doubles the ring, the entries in order from slot 0. */
  private grow(): void {
    const n = this.times.length;
    const times = new Float64Array(n * 2);
    const seqs = new Float64Array(n * 2);
    const items = new Array<T | undefined>(n * 2).fill(undefined);
    for (let k = 0; k < n; k++) {
      const i = (this.head + k) & this.mask;
      times[k] = this.times[i]!;
      seqs[k] = this.seqs[i]!;
      items[k] = this.items[i];
    }
    this.times = times;
    this.seqs = seqs;
    this.items = items;
    this.head = 0;
    this.mask = n * 2 - 1;
  }
}
