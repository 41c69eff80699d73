/**
 * The two-process lab of the examples, as an operator runs it: examples/lab-agents.yaml (home and
 * foreign agents only) and examples/site-external-agents.yaml (access points that use them), each
 * in its own child process (`node --import tsx src/cli/main.ts run --config FILE`), on copies of
 * the examples in a scratch directory with free ports substituted: one Mobile IP port for every
 * agent (and the access points' references to it), a free AAP port, and port 0 (any free port,
 * read from the ready lines) for the HTTP listeners and the advertisement socket.
 *
 *   const lab = await startTwoProcessSite();
 *   await lab.attach({ mac: '02:00:00:00:01:01', address: '127.201.0.50', accessPoint: 'ap-east' });
 *   await lab.waitForSample('lab', 'pmip_ha_registrations_accepted_total', { home_agent: 'ha-lab-1' }, (v) => v > 0);
 *   await lab.stop();
 *
 * Processes are stopped by PID (SIGTERM, then SIGKILL if one is still alive after 6 s).
 *
 * With `labGroups` the lab's agents run in several processes (e.g. SPLIT_LAB: one home agent and
 * one foreign agent each), so that one can be paused (`pause(1)`: SIGSTOP by PID) while the other
 * keeps answering; `labs` holds them all (`lab` is the first), `metrics(i)` reads lab process i.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { udpPortBindable } from '../../src/pmip/runtime/udp.ts';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

const repoRoot = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const LAB_EXAMPLE = path.join(repoRoot, 'examples/lab-agents.yaml');
export const SITE_EXAMPLE = path.join(repoRoot, 'examples/site-external-agents.yaml');
const READY_TIMEOUT_MS = 20_000;
const KILL_AFTER_MS = 6_000;

/** A parsed example: plain YAML data, changed in place by the options' hooks. */
export type ExampleDoc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Clients of the lab's two home networks, one per access point of the site file. */
export const LAB_CLIENTS = [
  { mac: '02:00:00:00:01:01', address: '127.201.0.50', accessPoint: 'ap-east', homeAgent: 'ha-lab-1' },
  { mac: '02:00:00:00:01:02', address: '127.202.0.60', accessPoint: 'ap-west', homeAgent: 'ha-lab-2' },
] as const;

/**
 * The lab split in two processes: ha-lab-1 with fa-east (the agents of ap-east's visitors from
 * 127.201.0.0/24), ha-lab-2 with fa-west (ap-west's from 127.202.0.0/24).
 */
export const SPLIT_LAB: readonly (readonly string[])[] = [
  ['ha-lab-1', 'fa-east'],
  ['ha-lab-2', 'fa-west'],
];

export interface TwoProcessSiteOptions {
  /** Changes to the lab document after the ports are substituted (before it is written). */
  lab?: (doc: ExampleDoc) => void;
  /**
   * Runs the lab's agents in one process per group of agent ids (home and foreign agents; every
   * agent of the lab document in exactly one group) instead of one process. Each process gets the
   * lab document (after `lab`) with only its group's agents. Default: one process with all.
   */
  labGroups?: readonly (readonly string[])[];
  /** Changes to the site document after the ports are substituted. */
  site?: (doc: ExampleDoc) => void;
  /** Extra `run` options for both processes (default `--shutdown-grace 100`). */
  runArgs?: string[];
}

export interface ChildSite {
  /** Base URL of the exporter (/metrics, the pages, /api/v1), e.g. http://127.0.0.1:40123 */
  url: string;
  pid: number;
  /** The configuration file it runs (in the scratch directory). */
  config: string;
  /** Everything it printed so far. */
  stdout(): string;
  stderr(): string;
  /** Its JSON log lines so far. */
  logs(): Array<Record<string, unknown>>;
  readonly exited: Promise<number | null>;
}

export interface AttachRequest {
  mac: string;
  address: string;
  accessPoint: string;
  /** Default: the first SSID of that access point in the site file. */
  ssid?: string;
  nai?: string;
}

export interface TwoProcessSite {
  /** The (first) lab process. */
  lab: ChildSite;
  /** Every lab process, in the order of `labGroups` (one without it; `labs[0]` is `lab`). */
  labs: ChildSite[];
  site: ChildSite & { associationsUrl: string };
  /** The association API's bearer token (from the site file). */
  token: string;
  /** The substituted ports. */
  ports: { mobileIp: number; aap: number };
  /** Associates a client through the site's association API; resolves with the response body. */
  attach(client: AttachRequest): Promise<{ status: number; body: unknown }>;
  /** Disassociates a client. */
  detach(mac: string, accessPoint?: string): Promise<number>;
  /** The current /metrics of one process (a number: that lab process, by index into `labs`). */
  metrics(which: 'lab' | 'site' | number): Promise<string>;
  /** Polls /metrics until the sample satisfies `accept`; resolves with its value. */
  waitForSample(
    which: 'lab' | 'site' | number,
    name: string,
    labels: Record<string, string>,
    accept: (value: number) => boolean,
    timeoutMs?: number,
  ): Promise<number>;
  /** Stops lab process `index` (SIGSTOP by PID): its sockets stay bound, nothing answers. */
  pause(index: number): void;
  /** Lets a paused lab process go on (SIGCONT by PID). */
  resume(index: number): void;
  /**
   * SIGTERM every process by PID (a paused one is resumed first); resolves with the exit codes
   * (`lab`: the first lab process, `labs`: all of them). Removes the scratch directory.
   */
  stop(): Promise<{ lab: number | null; site: number | null; labs: Array<number | null> }>;
}

/** One sample of an exposition (labels in any order, all given ones must match); undefined when absent. */
export function sampleValue(
  exposition: string,
  name: string,
  labels: Record<string, string>,
): number | undefined {
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const m = /^[^{ ]+(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const have = new Map([...(m[1] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1]!, x[2]!]));
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) return Number(m[2]);
  }
  return undefined;
}

/** A UDP port free on every one of `addresses` (picked by the kernel on the first, checked on the rest). */
export async function freeUdpPortOn(addresses: string[]): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const s = createSocket('udp4');
    await new Promise<void>((resolve) => s.bind(0, addresses[0], () => resolve()));
    const port = s.address().port;
    await new Promise<void>((r) => s.close(() => r()));
    const free = await Promise.all(addresses.map((a) => udpPortBindable(a, port)));
    if (free.every(Boolean)) return port;
  }
  throw new Error(`no UDP port free on all of ${addresses.join(', ')}`);
}

function startChild(config: string, args: string[]): ChildSite & { child: ChildProcessWithoutNullStreams } {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'run', '--config', config, ...args],
    {
      cwd: repoRoot,
    },
  );
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    url: '',
    pid: child.pid ?? 0,
    config,
    stdout: () => out,
    stderr: () => err,
    logs: () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    exited,
  };
}

async function readyLine(c: ReturnType<typeof startChild>): Promise<string> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const line = c
      .stdout()
      .split('\n')
      .find((l) => l.startsWith('pmip-exporter ready: '));
    if (line) return line;
    if (c.child.exitCode !== null)
      throw new Error(`${c.config}: exited ${c.child.exitCode} before ready:\n${c.stdout()}\n${c.stderr()}`);
    if (Date.now() > deadline)
      throw new Error(`${c.config}: no ready line in ${READY_TIMEOUT_MS} ms:\n${c.stdout()}\n${c.stderr()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function stopChild(c: ReturnType<typeof startChild>): Promise<number | null> {
  if (c.child.exitCode !== null || c.child.signalCode !== null) return c.child.exitCode;
  process.kill(c.pid, 'SIGTERM');
  const killer = setTimeout(() => {
    if (c.child.exitCode === null) process.kill(c.pid, 'SIGKILL');
  }, KILL_AFTER_MS);
  try {
    return await c.exited;
  } finally {
    clearTimeout(killer);
  }
}

export async function startTwoProcessSite(options: TwoProcessSiteOptions = {}): Promise<TwoProcessSite> {
  const lab = parse(readFileSync(LAB_EXAMPLE, 'utf8')) as ExampleDoc;
  const site = parse(readFileSync(SITE_EXAMPLE, 'utf8')) as ExampleDoc;
  const agentAddresses = [
    ...(lab.homeAgents as ExampleDoc[]).map((h) => String(h.address)),
    ...(lab.foreignAgents as ExampleDoc[]).map((f) => String(f.address)),
  ];
  const mobileIp = await freeUdpPortOn(agentAddresses);
  const aap = await freeUdpPortOn((site.accessPoints as ExampleDoc[]).map((a) => String(a.address)));

  for (const h of lab.homeAgents as ExampleDoc[]) {
    h.port = mobileIp;
    if (h.advertisements) h.advertisements.port = 0;
  }
  for (const f of lab.foreignAgents as ExampleDoc[]) {
    f.port = mobileIp;
    f.homeAgentPort = mobileIp;
    if (f.advertisements) f.advertisements.port = 0;
  }
  lab.exporters.prometheus.listen = '127.0.0.1:0';
  for (const a of site.accessPoints as ExampleDoc[]) {
    a.homeAgentPort = mobileIp;
    a.foreignAgentPort = mobileIp;
    if (a.foreignAgent) a.foreignAgent.port = mobileIp;
  }
  site.aap.port = aap;
  site.exporters.prometheus.listen = '127.0.0.1:0';
  site.associations.http.listen = '127.0.0.1:0';
  options.lab?.(lab);
  options.site?.(site);

  const dir = mkdtempSync(path.join(tmpdir(), 'pmip-two-process-'));
  const siteFile = path.join(dir, 'site-external-agents.yaml');
  const labDocs: Array<{ file: string; doc: ExampleDoc }> = options.labGroups
    ? splitLab(lab, options.labGroups).map((doc, i) => ({
        file: path.join(dir, `lab-agents-${i + 1}.yaml`),
        doc,
      }))
    : [{ file: path.join(dir, 'lab-agents.yaml'), doc: lab }];
  for (const l of labDocs) writeFileSync(l.file, stringify(l.doc));
  writeFileSync(siteFile, stringify(site));
  const args = options.runArgs ?? ['--shutdown-grace', '100'];
  const labChildren = labDocs.map((l) => startChild(l.file, args));
  const siteChild = startChild(siteFile, args);
  const paused = new Set<number>();
  const stop = async () => {
    for (const i of paused)
      if (labChildren[i]!.child.exitCode === null) process.kill(labChildren[i]!.pid, 'SIGCONT');
    paused.clear();
    const [s, ...ls] = await Promise.all([stopChild(siteChild), ...labChildren.map((c) => stopChild(c))]);
    rmSync(dir, { recursive: true, force: true });
    return { lab: ls[0]!, site: s!, labs: ls };
  };

  let labUrls: string[];
  let siteUrl: string;
  let associationsUrl: string;
  try {
    const [siteLine, ...labLines] = await Promise.all([readyLine(siteChild), ...labChildren.map(readyLine)]);
    labUrls = labLines.map((line) => /metrics (https?:\/\/[^/]+)\/metrics/.exec(line)![1]!);
    siteUrl = /metrics (https?:\/\/[^/]+)\/metrics/.exec(siteLine!)![1]!;
    associationsUrl = /associations (https?:\/\/[^/]+)\/api\/v1\/associations/.exec(siteLine!)![1]!;
  } catch (e) {
    await stop();
    throw e;
  }
  const token = String(site.associations.http.token);
  const ssidOf = (accessPoint: string): string =>
    String(
      (
        (site.accessPoints as ExampleDoc[]).find((a) => a.id === accessPoint)?.ssids as
          ExampleDoc[] | undefined
      )?.[0]?.name ?? 'corp',
    );
  const urlOf = (which: 'lab' | 'site' | number) =>
    which === 'site' ? siteUrl : which === 'lab' ? labUrls[0]! : labUrls[which]!;
  const metrics = async (which: 'lab' | 'site' | number) => (await fetch(`${urlOf(which)}/metrics`)).text();
  const labs = labChildren.map((c, i) => ({ ...c, url: labUrls[i]! }));
  const signal = (index: number, sig: 'SIGSTOP' | 'SIGCONT') => {
    const c = labChildren[index];
    if (!c) throw new Error(`no lab process ${index} (${labChildren.length} running)`);
    process.kill(c.pid, sig);
  };

  return {
    lab: labs[0]!,
    labs,
    site: { ...siteChild, url: siteUrl, associationsUrl },
    token,
    ports: { mobileIp, aap },
    async attach(c) {
      const res = await fetch(`${associationsUrl}/api/v1/associations`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({
          mac: c.mac,
          address: c.address,
          ssid: c.ssid ?? ssidOf(c.accessPoint),
          accessPoint: c.accessPoint,
          ...(c.nai !== undefined ? { nai: c.nai } : {}),
        }),
      });
      return { status: res.status, body: await res.json() };
    },
    async detach(mac, accessPoint) {
      const q = accessPoint !== undefined ? `?accessPoint=${encodeURIComponent(accessPoint)}` : '';
      const res = await fetch(`${associationsUrl}/api/v1/associations/${encodeURIComponent(mac)}${q}`, {
        method: 'DELETE',
        headers: { Authorization: `Bearer ${token}` },
      });
      await res.arrayBuffer();
      return res.status;
    },
    metrics,
    async waitForSample(which, name, labels, accept, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      let last: number | undefined;
      for (;;) {
        last = sampleValue(await metrics(which), name, labels);
        if (last !== undefined && accept(last)) return last;
        if (Date.now() > deadline)
          throw new Error(
            `${which}: ${name}${JSON.stringify(labels)} is ${last ?? 'absent'} after ${timeoutMs} ms`,
          );
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    pause(index) {
      signal(index, 'SIGSTOP');
      paused.add(index);
    },
    resume(index) {
      signal(index, 'SIGCONT');
      paused.delete(index);
    },
    stop,
  };
}

/** One lab document per group, each with only the home and foreign agents of its group. */
function splitLab(lab: ExampleDoc, groups: readonly (readonly string[])[]): ExampleDoc[] {
  const agents = [...(lab.homeAgents as ExampleDoc[]), ...(lab.foreignAgents as ExampleDoc[])].map((a) =>
    String(a.id),
  );
  const grouped = groups.flat();
  const missing = agents.filter((id) => grouped.filter((g) => g === id).length !== 1);
  const unknown = grouped.filter((id) => !agents.includes(id));
  if (missing.length > 0 || unknown.length > 0)
    throw new Error(
      `labGroups: every agent in exactly one group (${[...missing, ...unknown].join(', ')} not)`,
    );
  return groups.map((group) => {
    const doc = structuredClone(lab);
    doc.homeAgents = (lab.homeAgents as ExampleDoc[]).filter((h) => group.includes(String(h.id)));
    doc.foreignAgents = (lab.foreignAgents as ExampleDoc[]).filter((f) => group.includes(String(f.id)));
    return doc;
  });
}
