/**
 * Client rows published at most once per second of capture time: a row that changed is marked
 * and published with the next flush, so an attempt that starts and ends within the second costs
 * one `client-state` event instead of two. A row shows its state as of the flush.
 */
import type { ClientWire } from './attempt-types.ts';
import { clientStateEvent, type Emit } from './wire-events.ts';

/** Changed client rows are published at most this often (capture time). */
export const ROW_PUBLISH_INTERVAL_MS = 1000;

export class RowPublisher {
  private readonly changed: ClientWire[] = [];
  private nextFlush = 0;

  constructor(private readonly emit: Emit) {}

  /** The row changed: published with the next flush. */
  mark(c: ClientWire): void {
    if (c.dirty) return;
    c.dirty = true;
    this.changed.push(c);
  }

  /** Capture time moved on to `now`: flushes when a second has passed since the last flush. */
  tick(now: number): void {
    if (now >= this.nextFlush) this.flush(now);
  }

  /** Publishes every changed row now (end of input). */
  flush(now: number): void {
    const rows = this.changed;
    for (let i = 0; i < rows.length; i++) {
      const c = rows[i]!;
      c.dirty = false;
      this.emit(clientStateEvent(c, now));
    }
    rows.length = 0;
    this.nextFlush = now + ROW_PUBLISH_INTERVAL_MS;
  }
}
