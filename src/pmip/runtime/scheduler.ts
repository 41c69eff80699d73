import type { Clock } from '../wire/identification.ts';

/**
 * Time for the engine, injected: the real one for running, a fake one for tests and
 * reproducible simulations. Every timer in src/pmip goes through a Scheduler.
 */
export interface TimerHandle {
  cancel(): void;
}

export interface Scheduler extends Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Runs `fn` once after `ms` milliseconds. */
  after(ms: number, fn: () => void): TimerHandle;
}

export const realScheduler: Scheduler = {
  now: () => Date.now(),
  after(ms, fn) {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref?.();
    return { cancel: () => clearTimeout(t) };
  },
};

interface FakeTimer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * A manual clock: time moves only when `advance` is called, running due timers in order.
 * Socket I/O stays real; tests interleave `advance` with waiting for datagrams.
 */
export class FakeScheduler implements Scheduler {
  private current: number;
  private seq = 0;
  private timers: FakeTimer[] = [];

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  after(ms: number, fn: () => void): TimerHandle {
    const timer: FakeTimer = { at: this.current + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  /** Moves time forward by `ms`, running every timer that falls due, in time order. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      this.timers = this.timers.filter((t) => !t.cancelled);
      let next: FakeTimer | undefined;
      for (const t of this.timers)
        if (t.at <= target && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
      if (!next) break;
      this.current = next.at;
      next.cancelled = true;
      next.fn();
    }
    this.current = target;
  }

  /** Milliseconds until the next pending timer, or undefined when none is pending. */
  nextDue(): number | undefined {
    let min: number | undefined;
    for (const t of this.timers) if (!t.cancelled && (min === undefined || t.at < min)) min = t.at;
    return min === undefined ? undefined : min - this.current;
  }

  get pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }
}

/** The same timers as `base`, but a clock that runs `offsetMs` ahead (negative: behind). */
export function skewedScheduler(base: Scheduler, offsetMs: number): Scheduler {
  return { now: () => base.now() + offsetMs, after: (ms, fn) => base.after(ms, fn) };
}
