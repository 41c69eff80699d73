import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * A small measurement helper for the benchmarks: warm-up, several timed rounds, ops/s as the
 * median of the rounds, and per-operation p50/p99 from short timed batches.
 *
 * `compare()` measures a case and its baseline in the same process, interleaving their rounds
 * (case, baseline, baseline, case, ...) so that load from other processes on the machine hits both
 * about equally; the ratio it reports is the median of the per-round-pair ratios.
 */

export interface Measurement {
  name: string;
  /** Median over the rounds of operations per second. */
  opsPerSecond: number;
  /** Operations per second of each round, in order. */
  rounds: number[];
  /** Median and 99th percentile time per operation, in nanoseconds, from `batch`-operation batches. */
  p50Ns: number;
  p99Ns: number;
  /** Total operations timed (warm-up excluded). */
  operations: number;
}

export interface MeasureOptions {
  /** Warm-up time per function before timing starts (default 300 ms). */
  warmupMs?: number;
  /** Number of timed rounds (default 15). */
  rounds?: number;
  /** Length of one round (default 200 ms). */
  roundMs?: number;
  /** Operations per timed batch (default 32); p50/p99 are batch time / batch. */
  batch?: number;
}

export interface Comparison {
  subject: Measurement;
  baseline: Measurement;
  /** Median of per-round subject/baseline ops/s ratios (rounds are paired and interleaved). */
  ratio: number;
}

/** Sink for benchmark results so the JIT cannot drop the work that produced them. */
let sink: unknown;
export function consume(value: unknown): void {
  sink = value;
}
export function lastConsumed(): unknown {
  return sink;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Nearest-rank quantile of an already sorted array. */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

const now = (): bigint => process.hrtime.bigint();

interface RoundResult {
  ops: number;
  ns: number;
}

/** Runs `fn` in batches for about `ms` milliseconds; pushes each batch's ns-per-op to `perOp`. */
function runRound(fn: () => unknown, ms: number, batch: number, perOp: number[] | undefined): RoundResult {
  const budget = BigInt(Math.round(ms * 1e6));
  const start = now();
  let ops = 0;
  let last = start;
  for (;;) {
    for (let i = 0; i < batch; i++) sink = fn();
    ops += batch;
    const t = now();
    if (perOp) perOp.push(Number(t - last) / batch);
    last = t;
    if (t - start >= budget) break;
  }
  return { ops, ns: Number(last - start) };
}

function summarise(name: string, rounds: RoundResult[], perOp: number[]): Measurement {
  const opsPerRound = rounds.map((r) => (r.ops / r.ns) * 1e9);
  perOp.sort((a, b) => a - b);
  return {
    name,
    opsPerSecond: median(opsPerRound),
    rounds: opsPerRound,
    p50Ns: quantileSorted(perOp, 0.5),
    p99Ns: quantileSorted(perOp, 0.99),
    operations: rounds.reduce((n, r) => n + r.ops, 0),
  };
}

/** Measures one function on its own. */
export function measure(name: string, fn: () => unknown, options: MeasureOptions = {}): Measurement {
  const { warmupMs = 300, rounds = 15, roundMs = 200, batch = 32 } = options;
  runRound(fn, warmupMs, batch, undefined);
  const results: RoundResult[] = [];
  const perOp: number[] = [];
  for (let r = 0; r < rounds; r++) results.push(runRound(fn, roundMs, batch, perOp));
  return summarise(name, results, perOp);
}

/** Measures `subject` against `baseline` in interleaved rounds; see the module comment. */
export function compare(
  subject: { name: string; fn: () => unknown },
  baseline: { name: string; fn: () => unknown },
  options: MeasureOptions = {},
): Comparison {
  const { warmupMs = 300, rounds = 15, roundMs = 200, batch = 32 } = options;
  runRound(subject.fn, warmupMs, batch, undefined);
  runRound(baseline.fn, warmupMs, batch, undefined);
  const s: RoundResult[] = [];
  const b: RoundResult[] = [];
  const sPerOp: number[] = [];
  const bPerOp: number[] = [];
  for (let r = 0; r < rounds; r++) {
    // ABBA order: neither side always runs first after the other.
    if (r % 2 === 0) {
      s.push(runRound(subject.fn, roundMs, batch, sPerOp));
      b.push(runRound(baseline.fn, roundMs, batch, bPerOp));
    } else {
      b.push(runRound(baseline.fn, roundMs, batch, bPerOp));
      s.push(runRound(subject.fn, roundMs, batch, sPerOp));
    }
  }
  const subjectM = summarise(subject.name, s, sPerOp);
  const baselineM = summarise(baseline.name, b, bPerOp);
  const ratios = subjectM.rounds.map((ops, i) => ops / baselineM.rounds[i]!);
  return { subject: subjectM, baseline: baselineM, ratio: median(ratios) };
}

/**
 * One line of benchmark output. Every bench/*.bench.ts prints its figures as JSON objects, one per
 * line, on stdout; `bench/run.ts` collects them. `ok` is absent for figures without a target.
 */
export interface BenchFigure {
  bench: string;
  name: string;
  value: number;
  unit?: string;
  target?: string;
  ok?: boolean;
  [extra: string]: unknown;
}

export function printFigure(figure: BenchFigure): void {
  console.log(JSON.stringify(figure));
}

/** True when the module is the script node was started with (not imported by another module). */
export function isMain(importMetaUrl: string): boolean {
  const script = process.argv[1];
  return script !== undefined && importMetaUrl === pathToFileURL(resolve(script)).href;
}
