/**
 * Real alerting servers for the end-to-end alert test: Debian's Alertmanager 0.25 and a
 * Prometheus 2.42 that loads rule files and sends to it. Each on 127.0.0.1 on a free port, in a
 * scratch directory under the OS temp dir, stopped by PID. (test/support/prometheus.ts starts a
 * scrape-only Prometheus; this one adds rules, an Alertmanager and the resend delay.)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '../support/prometheus.ts';

export function hasAlertmanager(): boolean {
  return (
    spawnSync('prometheus-alertmanager', ['--version']).status === 0 &&
    spawnSync('amtool', ['--version']).status === 0
  );
}

export interface RunningServer {
  url: string;
  pid: number;
  dir: string;
  stop(): Promise<void>;
}

/** Starts `command`, polls `${url}/-/ready`, and returns a handle that stops it by PID. */
async function startServer(
  command: string,
  args: (dir: string, port: number) => string[],
  dir: string,
): Promise<RunningServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(command, args(dir, port), { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${command} did not start`);
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      process.kill(pid, 'SIGTERM');
      const timer = setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null) process.kill(pid, 'SIGKILL');
      }, 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`${command} exited: ${stderr}`);
    }
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${command} not ready: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, pid, dir, stop };
}

/**
 * Alertmanager with one receiver that sends nowhere (the test reads the alerts back from its API
 * and with amtool), grouping by alert and instance, waiting 1 s before a group's first send.
 * `--cluster.listen-address=` (empty): no gossip port on every interface.
 */
export async function startAlertmanager(): Promise<RunningServer> {
  const dir = mkdtempSync(join(tmpdir(), 'pmip-alertmanager-'));
  writeFileSync(
    join(dir, 'alertmanager.yml'),
    stringify({
      route: {
        receiver: 'noc',
        group_by: ['alertname', 'instance'],
        group_wait: '1s',
        group_interval: '1s',
        repeat_interval: '1h',
      },
      receivers: [{ name: 'noc' }],
    }),
  );
  return startServer(
    'prometheus-alertmanager',
    (d, port) => [
      `--config.file=${join(d, 'alertmanager.yml')}`,
      `--storage.path=${join(d, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
    ],
    dir,
  );
}

export interface AlertingPrometheus extends RunningServer {
  query(expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>;
}

/**
 * Prometheus scraping `target` (job `job`), or every job of `jobs`, every second, evaluating
 * `rules` (the text of a rule file) every second, and sending to `alertmanager` (host:port; none:
 * the rules are only evaluated) with a resend delay of 1 s.
 */
export async function startAlertingPrometheus(
  options: {
    rules: string;
    alertmanager?: string;
  } & ({ job: string; target: string } | { jobs: Array<{ job: string; targets: string[] }> }),
): Promise<AlertingPrometheus> {
  const jobs = 'jobs' in options ? options.jobs : [{ job: options.job, targets: [options.target] }];
  const dir = mkdtempSync(join(tmpdir(), 'pmip-prometheus-rules-'));
  writeFileSync(join(dir, 'pmip.rules.yml'), options.rules);
  writeFileSync(
    join(dir, 'prometheus.yml'),
    stringify({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: ['pmip.rules.yml'], // relative to this file
      ...(options.alertmanager
        ? { alerting: { alertmanagers: [{ static_configs: [{ targets: [options.alertmanager] }] }] } }
        : {}),
      scrape_configs: jobs.map((j) => ({ job_name: j.job, static_configs: [{ targets: j.targets }] })),
    }),
  );
  const server = await startServer(
    'prometheus',
    (d, port) => [
      `--config.file=${join(d, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(d, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--rules.alert.resend-delay=1s',
    ],
    dir,
  );
  return {
    ...server,
    async query(expr) {
      const res = await fetch(`${server.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await res.json()) as {
        status: string;
        data?: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
        error?: string;
      };
      if (body.status !== 'success') throw new Error(`query ${expr}: ${body.error ?? res.status}`);
      return body.data?.result ?? [];
    },
  };
}
