/**
 * Runs the benchmarks: every bench/*.bench.ts, or only those named on the command line
 * (`npm run bench -- wire collector`; a name may be `wire`, `wire.bench.ts` or a path). Other
 * arguments starting with `--` (e.g. `--quick`) are passed on to each benchmark.
 *
 * Each benchmark runs in its own Node process (`node --import tsx bench/<name>.bench.ts`), so one
 * cannot warm up or fill the heap for another. A benchmark prints its figures on stdout as JSON
 * objects, one per line (see `BenchFigure` in bench/lib.ts); anything else it prints is passed
 * through. At the end this prints one table of all figures with PASS/MISS per target and writes
 * everything to .scratch/bench-results.json. The exit code is non-zero when a benchmark process
 * exited non-zero (each benchmark decides what fails it: the wire benchmark fails only on fuzz
 * crashes, a missed ratio target is printed as MISS).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const benchDir = dirname(fileURLToPath(import.meta.url));
const root = resolve(benchDir, '..');

interface BenchRun {
  bench: string;
  file: string;
  exitCode: number | null;
  signal: string | null;
  seconds: number;
  figures: Array<Record<string, unknown>>;
  /** Lines that were not JSON figures. */
  output: string[];
}

function selectFiles(names: string[]): string[] {
  const all = readdirSync(benchDir)
    .filter((f) => f.endsWith('.bench.ts'))
    .sort();
  if (names.length === 0) return all.map((f) => join(benchDir, f));
  return names.map((n) => {
    const file =
      basename(n)
        .replace(/\.bench\.ts$/, '')
        .replace(/\.ts$/, '') + '.bench.ts';
    if (!all.includes(file)) {
      console.error(
        `no benchmark "${n}"; there are: ${all.map((f) => f.replace('.bench.ts', '')).join(', ')}`,
      );
      process.exit(2);
    }
    return join(benchDir, file);
  });
}

function runOne(file: string, passThrough: string[]): Promise<BenchRun> {
  const bench = basename(file, '.bench.ts');
  const start = process.hrtime.bigint();
  const child = spawn(process.execPath, ['--import', 'tsx', file, ...passThrough], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const run: BenchRun = {
    bench,
    file: `bench/${basename(file)}`,
    exitCode: null,
    signal: null,
    seconds: 0,
    figures: [],
    output: [],
  };
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    let parsed: unknown;
    try {
      parsed = line.trim().startsWith('{') ? JSON.parse(line) : undefined;
    } catch {
      parsed = undefined;
    }
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      run.figures.push(parsed as Record<string, unknown>);
      console.log(`[${bench}] ${line}`);
    } else {
      run.output.push(line);
      console.log(`[${bench}] ${line}`);
    }
  });
  return new Promise((resolvePromise) => {
    child.on('close', (code, signal) => {
      run.exitCode = code;
      run.signal = signal;
      run.seconds = Number((Number(process.hrtime.bigint() - start) / 1e9).toFixed(1));
      resolvePromise(run);
    });
  });
}

function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  return Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en-US') : String(Number(n.toPrecision(4)));
}

/** One table row per figure: benchmark, figure name, value (with unit), target, PASS/MISS. */
function row(bench: string, f: Record<string, unknown>): [string, string, string, string, string] {
  const name = String(f.name ?? '');
  let value: string;
  if (typeof f.value === 'number')
    value = formatNumber(f.value) + (typeof f.unit === 'string' ? ` ${f.unit}` : '');
  else {
    // figures without a single value: show their numeric fields
    value = Object.entries(f)
      .filter(([k, v]) => typeof v === 'number' && k !== 'value')
      .slice(0, 5)
      .map(([k, v]) => `${k}=${formatNumber(v as number)}`)
      .join(' ');
  }
  let target = typeof f.target === 'string' ? f.target : '';
  if (!target && f.targets && typeof f.targets === 'object') target = JSON.stringify(f.targets);
  // PASS/MISS only for figures that have a target; informational figures get no verdict
  const ok = !target
    ? undefined
    : typeof f.ok === 'boolean'
      ? f.ok
      : typeof f.pass === 'boolean'
        ? f.pass
        : undefined;
  return [bench, name, value, target, ok === undefined ? '' : ok ? 'PASS' : 'MISS'];
}

function printTable(rows: string[][]): void {
  const header = ['bench', 'figure', 'value', 'target', 'result'];
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.min(80, Math.max(...all.map((r) => r[i]!.length))));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  console.log('');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

const args = process.argv.slice(2);
const passThrough = args.filter((a) => a.startsWith('--'));
const files = selectFiles(args.filter((a) => !a.startsWith('--')));

const runs: BenchRun[] = [];
const startedAt = new Date();
for (const file of files) runs.push(await runOne(file, passThrough));

const rows: string[][] = [];
for (const r of runs) {
  for (const f of r.figures) rows.push(row(r.bench, f));
  if (r.exitCode !== 0) rows.push([r.bench, `process exited ${r.signal ?? r.exitCode}`, '', '', 'FAIL']);
}
printTable(rows);

const resultsFile = join(root, '.scratch', 'bench-results.json');
mkdirSync(dirname(resultsFile), { recursive: true });
writeFileSync(
  resultsFile,
  JSON.stringify(
    {
      startedAt: startedAt.toISOString(),
      node: process.version,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      loadAverage: loadavg().map((l) => Number(l.toFixed(2))),
      args: process.argv.slice(2),
      runs,
    },
    null,
    2,
  ) + '\n',
);
console.log(`\nresults: ${resultsFile.slice(root.length + 1)}`);

const failed = runs.filter((r) => r.exitCode !== 0);
if (failed.length > 0) {
  console.error(`failed: ${failed.map((r) => `${r.bench} (exit ${r.signal ?? r.exitCode})`).join(', ')}`);
  process.exitCode = 1;
}
