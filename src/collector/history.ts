/**
 * A short in-memory history of the outcome counters, for the health overview: status from the
 * last seconds, charts over the last hour. It keeps cumulative copies (not per-interval deltas),
 * taken at most once per step, so a quiet minute costs nothing and a window is one subtraction:
 * `now - copy at the window's start`. Memory is fixed: `slots` copies of a few small arrays.
 */

/** The counters the history copies, one array per group of nodes (access points, agents seen, ...). */
export type HistoryVector = readonly Float64Array[];

export interface HistoryPoint {
  /** ms since epoch: when the copy was taken (the end of the interval it closes). */
  time: number;
  values: Float64Array[];
}

export class CounterHistory {
  private readonly ring: Array<HistoryPoint | undefined>;
  private head = 0;
  private size = 0;
  private nextAt = -Infinity;

  constructor(
    /** Interval between copies, ms. */
    readonly stepMs: number,
    /** Copies kept: the history covers `stepMs * slots`. */
    readonly slots: number,
  ) {
    if (!(stepMs > 0) || !Number.isInteger(slots) || slots < 2) throw new Error('history: bad step or size');
    this.ring = new Array<HistoryPoint | undefined>(slots).fill(undefined);
  }

  /** Takes a copy when a step has passed since the last one; `read` is called only then. */
  maybeRecord(now: number, read: () => HistoryVector): void {
    if (now < this.nextAt) return;
    // Align to the step so points fall on round times (every minute on the minute).
    this.nextAt = (Math.floor(now / this.stepMs) + 1) * this.stepMs;
    const values = read().map((a) => a.slice());
    const reuse = this.ring[this.head];
    this.ring[this.head] =
      reuse === undefined ? { time: now, values } : Object.assign(reuse, { time: now, values });
    this.head = (this.head + 1) % this.slots;
    if (this.size < this.slots) this.size++;
  }

  /** Points oldest first. */
  points(): HistoryPoint[] {
    const out: HistoryPoint[] = [];
    for (let i = 0; i < this.size; i++) {
      const p = this.ring[(this.head - this.size + i + this.slots) % this.slots];
      if (p) out.push(p);
    }
    return out;
  }

  /** The newest point taken at or before `time`, or the oldest point when all are later; undefined when empty. */
  at(time: number): HistoryPoint | undefined {
    let best: HistoryPoint | undefined;
    for (let i = this.size - 1; i >= 0; i--) {
      const p = this.ring[(this.head - this.size + i + this.slots) % this.slots]!;
      best = p;
      if (p.time <= time) return p;
    }
    return best;
  }
}
