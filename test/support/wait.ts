import type { FakeScheduler } from '../../src/pmip/runtime/scheduler.ts';

/**
 * Waiting helpers for tests that run real sockets. Loopback UDP is delivered inside the send
 * call, so a few turns of the event loop are enough for a datagram (and its answer) to be handled;
 * time-driven behaviour runs on a FakeScheduler that the test advances in small steps, letting
 * I/O settle between steps.
 */

/** Lets the event loop turn `rounds` times (each turn polls the sockets once). */
export async function flushIo(rounds = 4): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Polls `predicate` (real time) until it holds; throws after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs = 2000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (predicate()) return;
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms`);
    await new Promise<void>((resolve) => setTimeout(resolve, 2));
  }
}

export interface DriveOptions {
  /** Fake milliseconds per step (default 10). */
  stepMs?: number;
  /** Give up after this much fake time. */
  maxMs: number;
  /** Named in the error when the predicate never holds. */
  what?: string;
  /** Real-time guard (default 20 s). */
  realTimeoutMs?: number;
}

/**
 * Advances the fake clock step by step, letting socket I/O settle after each step, until
 * `predicate` holds. Returns the fake time it took (ms); throws after `maxMs`.
 */
export async function drive(
  scheduler: FakeScheduler,
  predicate: () => boolean,
  options: DriveOptions,
): Promise<number> {
  const step = options.stepMs ?? 10;
  const realDeadline = Date.now() + (options.realTimeoutMs ?? 20_000);
  let elapsed = 0;
  for (;;) {
    await flushIo();
    if (predicate()) return elapsed;
    if (elapsed >= options.maxMs || Date.now() > realDeadline)
      throw new Error(`${options.what ?? 'condition'} not reached within ${options.maxMs} ms of clock time`);
    scheduler.advance(step);
    elapsed += step;
  }
}

/** Advances the fake clock by `ms` in steps, letting I/O settle after each one. */
export async function advanceWithIo(scheduler: FakeScheduler, ms: number, stepMs = 10): Promise<void> {
  for (let t = 0; t < ms; t += stepMs) {
    scheduler.advance(Math.min(stepMs, ms - t));
    await flushIo();
  }
}
