/**
 * The fleet of docs/fleet.md on loopback, from the files in examples/fleet/: sites (`demo`
 * processes), one Prometheus in agent mode per site (examples/fleet/agent-SITE.yml, its
 * `site` external label as written) remote-writing to one VictoriaMetrics, vmalert
 * (examples/fleet/vmalert.args) evaluating alerts/pmip.rules.yml against it and notifying an
 * Alertmanager (examples/fleet/alertmanager.yml) whose webhook is a receiver in this process.
 * Ports, paths and intervals are substituted; every process is stopped by PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './prometheus.ts';
import { freeUdpPortOn } from './two-process-site.ts';
import { startVictoriaMetrics, type VictoriaMetricsServer } from './victoria-metrics.ts';

const repoRoot = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const FLEET_EXAMPLES = path.join(repoRoot, 'examples/fleet');
export const RULES = path.join(repoRoot, 'alerts/pmip.rules.yml');
const KILL_AFTER_MS = 6_000;

export interface SiteSpec {
  /** The site name: examples/fleet/agent-NAME.yml. */
  name: string;
  clients: number;
  seed: number;
}

export interface FleetSite extends SiteSpec {
  /** The demo's base URL (/metrics, /api/v1/statistics). */
  url: string;
  /** host:port the agent scrapes. */
  target: string;
}

/** One notification Alertmanager posted to the webhook. */
export interface WebhookAlert {
  status: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface Fleet {
  sites: FleetSite[];
  vm: VictoriaMetricsServer;
  vmalertUrl: string;
  alertmanagerUrl: string;
  /** Every alert the webhook received, in order. */
  received: WebhookAlert[];
  scrapeIntervalSeconds: number;
  /** Instant PromQL query against the central store at `time` (seconds). */
  query(
    expr: string,
    time?: number,
  ): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>;
  stop(): Promise<void>;
}

interface Proc {
  child: ChildProcess;
  name: string;
  output(): string;
}

function startProc(name: string, command: string, args: string[], cwd = repoRoot): Proc {
  const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-8000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { child, name, output: () => out };
}

async function stopProc(p: Proc): Promise<void> {
  const c = p.child;
  if (c.pid === undefined || c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise<void>((r) => c.once('exit', () => r()));
  process.kill(c.pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (c.exitCode === null && c.signalCode === null) process.kill(c.pid!, 'SIGKILL');
  }, KILL_AFTER_MS);
  await exited;
  clearTimeout(timer);
}

async function waitUntil(what: string, p: Proc | undefined, ok: () => Promise<boolean>, timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (p && p.child.exitCode !== null) throw new Error(`${p.name} exited: ${p.output()}`);
    try {
      if (await ok()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > end) throw new Error(`${what} not ready within ${timeoutMs} ms: ${p?.output() ?? ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** An args file of examples/fleet: one argument a line, `#` comments, `${VAR}` substituted. */
export function argsFile(file: string, vars: Record<string, string>): string[] {
  return readFileSync(path.join(FLEET_EXAMPLES, file), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) =>
      l.replace(/\$\{(\w+)\}/g, (_m, v: string) => {
        const value = vars[v];
        if (value === undefined) throw new Error(`${file}: no value for \${${v}}`);
        return value;
      }),
    );
}

/** The demo's layout (docs/demo.md): home agents and access points of the three subnets. */
const DEMO_ADDRESSES = [
  '127.100.0.1',
  '127.101.0.1',
  '127.102.0.1',
  '127.100.0.10',
  '127.101.0.10',
  '127.102.0.10',
];

async function startDemo(
  spec: SiteSpec,
  mipPort: number,
  aapPort: number,
): Promise<{ site: FleetSite; proc: Proc }> {
  const port = await freePort();
  const proc = startProc(`demo ${spec.name}`, process.execPath, [
    '--import',
    'tsx',
    'src/cli/main.ts',
    'demo',
    '--aps',
    '3',
    '--clients',
    String(spec.clients),
    '--seed',
    String(spec.seed),
    '--listen',
    `127.0.0.1:${port}`,
    '--mip-port',
    String(mipPort),
    '--aap-port',
    String(aapPort),
    '--log-level',
    'warn',
  ]);
  const url = `http://127.0.0.1:${port}`;
  await waitUntil(`demo ${spec.name}`, proc, async () => proc.output().includes('demo ready'), 40_000);
  return { site: { ...spec, url, target: `127.0.0.1:${port}` }, proc };
}

export async function startFleet(specs: SiteSpec[], scrapeIntervalSeconds = 2): Promise<Fleet> {
  const dir = mkdtempSync(path.join(tmpdir(), 'pmip-fleet-'));
  const procs: Proc[] = [];
  const received: WebhookAlert[] = [];
  let webhook: Server | undefined;
  let vm: VictoriaMetricsServer | undefined;
  const stop = async () => {
    for (const p of [...procs].reverse()) await stopProc(p);
    await vm?.stop();
    await new Promise<void>((r) => (webhook ? webhook.close(() => r()) : r()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // The central store: the example's flags, on the helper's port and scratch data (it keeps both
    // over a restart), with the test's 1 s latency offset.
    const vmArgs = argsFile('victoria-metrics.args', { VM_LISTEN: '-', VM_DATA: '-' }).filter(
      (a) => !/^-(httpListenAddr|storageDataPath|search\.latencyOffset)=/.test(a),
    );
    vm = await startVictoriaMetrics(vmArgs);
    const vmUrl = vm.url;

    // The receiver Alertmanager posts to.
    webhook = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        try {
          received.push(...(JSON.parse(body) as { alerts: WebhookAlert[] }).alerts);
        } catch {
          // not a notification
        }
        res.end();
      });
    });
    await new Promise<void>((r) => webhook!.listen(0, '127.0.0.1', r));
    const hookPort = (webhook.address() as AddressInfo).port;

    const amPort = await freePort();
    writeFileSync(
      path.join(dir, 'alertmanager.yml'),
      readFileSync(path.join(FLEET_EXAMPLES, 'alertmanager.yml'), 'utf8')
        .replace('http://127.0.0.1:5001/pmip', `http://127.0.0.1:${hookPort}/pmip`)
        .replace('group_wait: 30s', 'group_wait: 1s')
        .replace('group_interval: 5m', 'group_interval: 1s'),
    );
    const am = startProc('alertmanager', 'prometheus-alertmanager', [
      `--config.file=${path.join(dir, 'alertmanager.yml')}`,
      `--storage.path=${path.join(dir, 'am')}`,
      `--web.listen-address=127.0.0.1:${amPort}`,
      '--cluster.listen-address=',
    ]);
    procs.push(am);
    const alertmanagerUrl = `http://127.0.0.1:${amPort}`;

    const vmalertPort = await freePort();
    const vmalert = startProc(
      'vmalert',
      'vmalert',
      argsFile('vmalert.args', {
        RULES,
        VM_URL: vmUrl,
        AM_URL: alertmanagerUrl,
        EVAL_INTERVAL: `${scrapeIntervalSeconds}s`,
        VMALERT_LISTEN: `127.0.0.1:${vmalertPort}`,
      }),
    );
    procs.push(vmalert);
    const vmalertUrl = `http://127.0.0.1:${vmalertPort}`;

    // Distinct Mobile IP and AAP ports per demo: the demos share the loopback addresses.
    const ports: number[] = [];
    while (ports.length < specs.length * 2) {
      const p = await freeUdpPortOn(DEMO_ADDRESSES);
      if (!ports.includes(p)) ports.push(p);
    }
    const demos = await Promise.all(specs.map((s, i) => startDemo(s, ports[2 * i]!, ports[2 * i + 1]!)));
    procs.push(...demos.map((d) => d.proc));
    const sites = demos.map((d) => d.site);

    for (const site of sites) {
      const agentPort = await freePort();
      const config = readFileSync(path.join(FLEET_EXAMPLES, `agent-${site.name}.yml`), 'utf8')
        .replace('scrape_interval: 15s', `scrape_interval: ${scrapeIntervalSeconds}s`)
        .replace("'127.0.0.1:9434'", `'${site.target}'`)
        .replace('http://central.example:8428', vmUrl);
      const file = path.join(dir, `agent-${site.name}.yml`);
      writeFileSync(file, config);
      procs.push(
        startProc(`agent ${site.name}`, 'prometheus', [
          '--enable-feature=agent',
          `--config.file=${file}`,
          `--storage.agent.path=${path.join(dir, `agent-${site.name}`)}`,
          `--web.listen-address=127.0.0.1:${agentPort}`,
        ]),
      );
      await waitUntil(
        `agent ${site.name}`,
        procs[procs.length - 1],
        async () => (await fetch(`http://127.0.0.1:${agentPort}/-/ready`)).ok,
      );
    }
    await waitUntil('alertmanager', am, async () => (await fetch(`${alertmanagerUrl}/-/ready`)).ok);
    await waitUntil('vmalert', vmalert, async () => (await fetch(`${vmalertUrl}/health`)).ok);

    const query: Fleet['query'] = async (expr, time) => {
      const params = new URLSearchParams({
        query: expr,
        ...(time !== undefined ? { time: String(time) } : {}),
      });
      const res = await fetch(`${vmUrl}/api/v1/query?${params}`);
      const body = (await res.json()) as { status: string; data?: { result: [] }; error?: string };
      if (body.status !== 'success') throw new Error(`query ${expr}: ${body.error ?? res.status}`);
      return body.data?.result ?? [];
    };
    return { sites, vm, vmalertUrl, alertmanagerUrl, received, scrapeIntervalSeconds, query, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
