/**
 * A real InfluxDB 1.6.7 (Debian `influxdb`) for integration tests: scratch config and data
 * directories, HTTP and RPC bound to 127.0.0.1 on free ports, stopped by PID. `stop()` then
 * `start()` brings the same server back on the same port with the same data (the outage test);
 * `destroy()` stops it and removes the scratch directory. With `auth: true` the HTTP API requires
 * credentials and an admin user is created first (`CREATE USER ... WITH ALL PRIVILEGES` is the one
 * statement 1.x accepts without credentials while no user exists).
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './prometheus.ts';

export function hasInfluxd(): boolean {
  return spawnSync('influxd', ['version']).status === 0;
}

export interface InfluxdbOptions {
  /** Require credentials (`[http] auth-enabled = true`) and create `admin` / `adminPassword`. */
  auth?: boolean;
  /** Databases created at start (default `['pmip']`). */
  databases?: string[];
}

export interface InfluxSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

export interface InfluxdbServer {
  url: string;
  port: number;
  pid: number;
  admin?: { username: string; password: string } | undefined;
  /** InfluxQL query; returns the series of the first statement (throws on an error). */
  query(q: string, db?: string): Promise<InfluxSeries[]>;
  /** Stops the process (SIGTERM), keeping the data directory. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data directory. */
  start(): Promise<void>;
  /** Stops it and removes the scratch directory. */
  destroy(): Promise<void>;
}

export async function startInfluxdb(options: InfluxdbOptions = {}): Promise<InfluxdbServer> {
  const dir = mkdtempSync(join(tmpdir(), 'pmip-influxdb-'));
  for (const d of ['meta', 'data', 'wal']) mkdirSync(join(dir, d));
  const port = await freePort();
  const rpcPort = await freePort();
  const conf = join(dir, 'influxdb.conf');
  writeFileSync(
    conf,
    [
      'reporting-disabled = true',
      `bind-address = "127.0.0.1:${rpcPort}"`,
      '[meta]',
      `  dir = "${join(dir, 'meta')}"`,
      '[data]',
      `  dir = "${join(dir, 'data')}"`,
      `  wal-dir = "${join(dir, 'wal')}"`,
      '  query-log-enabled = false',
      '[http]',
      `  bind-address = "127.0.0.1:${port}"`,
      '  log-enabled = false',
      `  auth-enabled = ${options.auth ? 'true' : 'false'}`,
      '[monitor]',
      '  store-enabled = false',
      '',
    ].join('\n'),
  );
  const url = `http://127.0.0.1:${port}`;
  const admin = options.auth ? { username: 'admin', password: 'adminPassw0rd-secret' } : undefined;
  let child: ChildProcess | undefined;
  let stderr = '';

  const authParams = (): Record<string, string> => (admin ? { u: admin.username, p: admin.password } : {});

  const post = async (q: string, creds = true): Promise<Response> =>
    fetch(`${url}/query?${new URLSearchParams(creds ? authParams() : {}).toString()}`, {
      method: 'POST',
      body: new URLSearchParams({ q }),
    });

  const start = async (): Promise<void> => {
    stderr = '';
    child = spawn('influxd', ['-config', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`influxd exited: ${stderr}`);
      try {
        if ((await fetch(`${url}/ping`)).status === 204) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`influxd not ready: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const stop = async (): Promise<void> => {
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

  const query = async (q: string, db?: string): Promise<InfluxSeries[]> => {
    const params = new URLSearchParams({ q, epoch: 'ms', ...authParams(), ...(db ? { db } : {}) });
    const res = await fetch(`${url}/query?${params.toString()}`);
    const body = (await res.json()) as {
      error?: string;
      results?: Array<{ error?: string; series?: InfluxSeries[] }>;
    };
    const err = body.error ?? body.results?.[0]?.error;
    if (!res.ok || err) throw new Error(`influx query ${q}: ${err ?? res.status}`);
    return body.results?.[0]?.series ?? [];
  };

  await start();
  if (admin) {
    const res = await post(
      `CREATE USER "${admin.username}" WITH PASSWORD '${admin.password}' WITH ALL PRIVILEGES`,
      false,
    );
    if (!res.ok) throw new Error(`influx create user: ${res.status} ${await res.text()}`);
  }
  for (const db of options.databases ?? ['pmip']) {
    const res = await post(`CREATE DATABASE "${db}"`);
    if (!res.ok) throw new Error(`influx create database: ${res.status} ${await res.text()}`);
  }

  return {
    url,
    port,
    get pid() {
      return child?.pid ?? 0;
    },
    admin,
    query,
    stop,
    start,
    async destroy() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
