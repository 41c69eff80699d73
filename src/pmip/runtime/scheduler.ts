import type { Clock } from '../wire/identification.ts';

/** A timer that can be cancelled before it runs. */
export interface TimerHandle {
  cancel(): void;
}

/**
 * Time for the engine, injected: the real one for running, a fake one for tests and
 * reproducible simulations. Every timer in src/pmip goes through a Scheduler.
 */
export interface Scheduler extends Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Runs `fn` once after `ms` milliseconds. */
  after(ms: number, fn: () => void): TimerHandle;
}

/** Where a timer callback's exception goes instead of up the stack. */
export type TimerErrorHandler = (error: unknown) => void;

/** The real scheduler, with a count of the timer callbacks that threw. */
export interface RealScheduler extends Scheduler {
  readonly timerErrors: number;
}

const reportToStderr: TimerErrorHandler = (error) => {
  console.error('pmip: a timer callback threw (contained):', error);
};

/**
 * The real clock. A callback that throws is counted and handed to `onError` (default: one line on
 * stderr); it never escapes into the event loop, where it would end the process and every access
 * point in it. Callers still contain their own errors: this is the last line.
 */
export function createRealScheduler(onError: TimerErrorHandler = reportToStderr): RealScheduler {
  let errors = 0;
  return {
    now: () => Date.now(),
    after(ms, fn) {
      const t = setTimeout(
        () => {
          try {
            fn();
          } catch (error) {
            errors++;
            try {
              onError(error);
            } catch {
              // the reporter failed as well: counted, nothing more to do
            }
          }
        },
        Math.max(0, ms),
      );
      t.unref?.();
      return { cancel: () => clearTimeout(t) };
    },
    get timerErrors() {
      return errors;
    },
  };
}

export const realScheduler: RealScheduler = createRealScheduler();

interface FakeTimer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

export interface FakeSchedulerOptions {
  /**
   * Where a throwing timer callback is reported. Without one, `advance` still runs every other due
   * timer and then rethrows the first error, so a test sees it.
   */
  onTimerError?: TimerErrorHandler;
}

/**
 * A manual clock: time moves only when `advance` is called, running due timers in order.
 * Socket I/O stays real; tests interleave `advance` with waiting for datagrams. A callback that
 * throws never stops the other due timers (as with the real scheduler).
 */
export class FakeScheduler implements Scheduler {
  private current: number;
  private seq = 0;
  private timers: FakeTimer[] = [];
  private errors = 0;
  private readonly onTimerError: TimerErrorHandler | undefined;

  constructor(startMs = Date.UTC(2026, 0, 1), options: FakeSchedulerOptions = {}) {
    this.current = startMs;
    this.onTimerError = options.onTimerError;
  }

  /** Timer callbacks that threw so far. */
  get timerErrors(): number {
    return this.errors;
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
    let unreported: { error: unknown } | undefined;
    for (;;) {
      this.timers = this.timers.filter((t) => !t.cancelled);
      let next: FakeTimer | undefined;
      for (const t of this.timers)
        if (t.at <= target && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
      if (!next) break;
      this.current = next.at;
      next.cancelled = true;
      try {
        next.fn();
      } catch (error) {
        this.errors++;
        if (this.onTimerError) this.onTimerError(error);
        else unreported ??= { error };
      }
    }
    this.current = target;
    if (unreported) throw unreported.error;
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
