/**
 * A real Prometheus (Debian's 2.42) for integration tests: scratch directory, 127.0.0.1 on a free
 * port, scrape targets given by the test, stopped by PID. The first scrape comes about 5 s after
 * start, so callers poll the query API (waitForSample) instead of sleeping.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function hasPrometheus(): boolean {
  return spawnSync('prometheus', ['--version']).status === 0;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface ScrapeTarget {
  job: string;
  /** host:port */
  target: string;
  scheme?: 'http' | 'https';
  basicAuth?: { username: string; password: string };
  /** Skip certificate verification (self-signed test certificates). */
  insecureSkipVerify?: boolean;
}

export interface PrometheusServer {
  url: string;
  pid: number;
  /** Instant query; returns the result vector. */
  query(expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>;
  /** Polls until the expression returns at least one sample (and `accept` agrees). */
  waitForSample(expr: string, timeoutMs?: number, accept?: (value: number) => boolean): Promise<number>;
  stop(): Promise<void>;
}

function yamlString(s: string): string {
  return JSON.stringify(s);
}

export async function startPrometheus(
  targets: ScrapeTarget[],
  scrapeIntervalSeconds = 1,
): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'pmip-prometheus-'));
  const scrapeConfigs = targets
    .map((t) =>
      [
        `  - job_name: ${yamlString(t.job)}`,
        `    scheme: ${t.scheme ?? 'http'}`,
        ...(t.basicAuth
          ? [
              '    basic_auth:',
              `      username: ${yamlString(t.basicAuth.username)}`,
              `      password: ${yamlString(t.basicAuth.password)}`,
            ]
          : []),
        ...(t.insecureSkipVerify ? ['    tls_config:', '      insecure_skip_verify: true'] : []),
        '    static_configs:',
        `      - targets: [${yamlString(t.target)}]`,
      ].join('\n'),
    )
    .join('\n');
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global:\n  scrape_interval: ${scrapeIntervalSeconds}s\n  evaluation_interval: ${scrapeIntervalSeconds}s\nscrape_configs:\n${scrapeConfigs}\n`,
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('prometheus did not start');

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      process.kill(pid, 'SIGTERM');
      const timer = setTimeout(() => {
        if (child.exitCode === null) process.kill(pid, 'SIGKILL');
      }, 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const query: PrometheusServer['query'] = async (expr) => {
    const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await res.json()) as { status: string; data?: { result: [] }; error?: string };
    if (body.status !== 'success') throw new Error(`query ${expr}: ${body.error ?? res.status}`);
    return body.data?.result ?? [];
  };

  // Ready within ~0.1 s; poll /-/ready.
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited: ${stderr}`);
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus not ready: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    url,
    pid,
    query,
    async waitForSample(expr, timeoutMs = 30_000, accept = () => true) {
      const end = Date.now() + timeoutMs;
      let last = 'no sample';
      for (;;) {
        const result = await query(expr);
        if (result.length > 0) {
          const v = Number(result[0]!.value[1]);
          if (accept(v)) return v;
          last = `value ${v}`;
        }
        if (Date.now() > end)
          throw new Error(`no accepted sample for ${expr} within ${timeoutMs} ms (${last})`);
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    stop,
  };
}
