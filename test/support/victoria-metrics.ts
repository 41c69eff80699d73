/**
 * A real VictoriaMetrics (Debian `victoria-metrics`, 1.79) for integration tests: scratch
 * `-storageDataPath`, 127.0.0.1 on a free port, `-search.latencyOffset=1s` (the default 30 s hides
 * fresh samples from queries), stopped by PID. It receives Prometheus remote write on
 * `/api/v1/write` and InfluxDB line protocol on `/write` and `/api/v2/write`; `/api/v1/export`
 * returns the raw samples. `restart()` stops it and starts it again on the same port and data.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './prometheus.ts';

export function hasVictoriaMetrics(): boolean {
  const r = spawnSync('sh', ['-c', 'command -v victoria-metrics']);
  return r.status === 0;
}

export interface ExportedSeries {
  metric: Record<string, string>;
  values: number[];
  timestamps: number[];
}

export interface VictoriaMetricsServer {
  url: string;
  port: number;
  pid: number;
  /** Raw samples of every series matching the selector (`/api/v1/export`). */
  exportSeries(match: string): Promise<ExportedSeries[]>;
  /** Instant PromQL query; returns the result vector. */
  query(expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>;
  /** Stops the process (SIGTERM), keeping the data directory. */
  stopProcess(): Promise<void>;
  /** Stops and starts it again on the same port and data directory. */
  restart(): Promise<void>;
  /** Stops it and removes the scratch directory. */
  stop(): Promise<void>;
}

export async function startVictoriaMetrics(extraArgs: string[] = []): Promise<VictoriaMetricsServer> {
  const dir = mkdtempSync(join(tmpdir(), 'pmip-vm-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let stderr = '';

  const launch = async (): Promise<void> => {
    stderr = '';
    child = spawn(
      'victoria-metrics',
      [
        `-httpListenAddr=127.0.0.1:${port}`,
        `-storageDataPath=${join(dir, 'vm')}`,
        '-retentionPeriod=1d',
        '-search.latencyOffset=1s',
        ...extraArgs,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`victoria-metrics exited: ${stderr}`);
      try {
        if ((await fetch(`${url}/health`)).ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`victoria-metrics not ready: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const stopProcess = async (): Promise<void> => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    process.kill(c.pid!, 'SIGTERM');
    const timer = setTimeout(() => {
      if (c.exitCode === null && c.signalCode === null) process.kill(c.pid!, 'SIGKILL');
    }, 5000);
    await exited;
    clearTimeout(timer);
  };

  await launch();
  return {
    url,
    port,
    get pid() {
      return child?.pid ?? 0;
    },
    async exportSeries(match) {
      const res = await fetch(`${url}/api/v1/export?match[]=${encodeURIComponent(match)}`);
      if (!res.ok) throw new Error(`export ${match}: ${res.status} ${await res.text()}`);
      const text = await res.text();
      return text
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as ExportedSeries);
    },
    async query(expr) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await res.json()) as { status: string; data?: { result: [] }; error?: string };
      if (body.status !== 'success') throw new Error(`query ${expr}: ${body.error ?? res.status}`);
      return body.data?.result ?? [];
    },
    stopProcess,
    async restart() {
      await stopProcess();
      await launch();
    },
    async stop() {
      await stopProcess();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
