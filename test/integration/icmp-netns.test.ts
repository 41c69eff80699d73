/**
 * Agent discovery over real ICMP, across network namespaces with veth pairs made (and removed) by
 * the test: an access point, a foreign agent and a home agent of this project, each in its own
 * namespace, each a `pmip-exporter run --config FILE` process started with `ip netns exec`.
 *
 *   ns AP  10.2.0.10 --veth-- 10.2.0.2  ns FA  10.1.0.2 --veth-- 10.1.0.1  ns HA
 *
 * The foreign agent advertises over ICMP with a period of an hour, so its first advertisement goes
 * out before the access point runs: the access point can only learn of it by soliciting (ICMP
 * type 10 to 224.0.0.11), which the foreign agent answers at once. A visiting client (home
 * 10.1.0.50) is then registered through it. tshark on the foreign agent's access-side veth sees
 * the ICMP type 9 with the mobility agent extension, and registrations that dissect with no
 * expert warning. Then proxy-mode authentication (RFC 5563): accepted with the right per-node key,
 * refused (132) and shown as unauthenticated with a wrong one; with the access point's clock an
 * hour off (`run --clock-offset 3600`), one 133 and one extra round trip. Last, no foreign agent:
 * the FA namespace only routes, and the access point registers straight with the home agent with
 * its own address as the care-of address.
 *
 * Needs root (ip netns add) and the raw-socket module; where namespaces cannot be made the test
 * says so and is skipped.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';

const repoRoot = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const tag = `${process.pid % 10000}${Math.floor(Math.random() * 100)}`;
const NS = { ap: `p17ap${tag}`, fa: `p17fa${tag}`, ha: `p17ha${tag}` };
const IF = { ap: `a${tag}`, faA: `fa${tag}`, faH: `fh${tag}`, ha: `h${tag}` };
const KEY = '00112233445566778899aabbccddeeff';
const NODE_KEY = '8899aabbccddeeff0011223344556677';
const TOKEN = 'netns-test-token-0123456789';

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' });
}
function inNs(ns: string, ...args: string[]): string {
  return execFileSync('ip', ['netns', 'exec', ns, ...args], { encoding: 'utf8', stdio: 'pipe' });
}

/** Whether this machine lets us make a namespace (root, no container restriction). */
function namespacesAvailable(): boolean {
  const probe = `p17probe${tag}`;
  const r = spawnSync('ip', ['netns', 'add', probe], { stdio: 'pipe' });
  if (r.status !== 0) return false;
  spawnSync('ip', ['netns', 'del', probe], { stdio: 'pipe' });
  return true;
}
const available = namespacesAvailable();
if (!available)
  console.warn('icmp-netns.test.ts: skipped: `ip netns add` failed (needs root and network namespaces)');

interface Child {
  proc: ChildProcess;
  out: () => string;
}
function run(ns: string, config: string, extra: string[] = []): Child {
  const proc = spawn(
    'ip',
    [
      'netns',
      'exec',
      ns,
      process.execPath,
      '--import',
      'tsx',
      'src/cli/main.ts',
      'run',
      '--config',
      config,
      ...extra,
    ],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  return { proc, out: () => out };
}
async function ready(c: Child): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!c.out().includes('pmip-exporter ready: ')) {
    if (c.proc.exitCode !== null) throw new Error(`exited ${c.proc.exitCode}:\n${c.out()}`);
    if (Date.now() > deadline) throw new Error(`no ready line:\n${c.out()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
async function stop(c: Child | undefined): Promise<void> {
  if (!c || c.proc.exitCode !== null || c.proc.pid === undefined) return;
  const exited = new Promise((r) => c.proc.once('exit', r));
  c.proc.kill('SIGTERM');
  const timer = setTimeout(() => c.proc.kill('SIGKILL'), 6000);
  await exited;
  clearTimeout(timer);
}
function curl(ns: string, url: string, body?: unknown): string {
  const args = ['-s', '--max-time', '5', url];
  if (body !== undefined)
    args.push(
      '-H',
      `Authorization: Bearer ${TOKEN}`,
      '-H',
      'Content-Type: application/json',
      '-d',
      JSON.stringify(body),
    );
  return inNs(ns, 'curl', ...args);
}
function metric(ns: string, name: string): number {
  const text = curl(ns, 'http://127.0.0.1:9434/metrics');
  let sum = 0;
  for (const line of text.split('\n'))
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.split(' ').pop());
  return sum;
}
async function until(predicate: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const common = {
  exporters: { prometheus: { listen: '127.0.0.1:9434' } },
  logging: { level: 'info' },
};
const apConfig = (perNodeKey?: string, colocated = false) => ({
  site: { name: 'netns-ap' },
  accessPoints: [
    colocated
      ? {
          id: 'ap-1',
          address: '10.2.0.10',
          subnet: '10.2.0.0/24',
          ssids: [{ name: 'corp' }],
          colocatedCareOfAddress: true,
        }
      : {
          id: 'ap-1',
          address: '10.2.0.10',
          subnet: '10.2.0.0/24',
          ssids: [{ name: 'corp' }],
          discovery: 'icmp',
        },
  ],
  securityAssociations: {
    local: [{ address: '10.1.0.32', rangeEnd: '10.1.0.254', spi: 256, key: KEY }],
    ...(perNodeKey ? { perNode: [{ homeAgent: '10.1.0.1', spi: 4242, key: perNodeKey }] } : {}),
  },
  subnetMap: [{ homeAgent: '10.1.0.1', mask: '255.255.255.0', name: 'ha-1' }],
  associations: { http: { listen: '127.0.0.1:9435', token: TOKEN } },
  ...common,
});

describe.skipIf(!available)('ICMP agent discovery across network namespaces', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pmip-netns-'));
  const pcap = path.join(dir, 'fa-access.pcap');
  let fa: Child | undefined;
  let ha: Child | undefined;
  let ap: Child | undefined;
  let capture: ChildProcess | undefined;

  beforeAll(async () => {
    for (const ns of Object.values(NS)) ip('netns', 'add', ns);
    ip('link', 'add', IF.ap, 'type', 'veth', 'peer', 'name', IF.faA);
    ip('link', 'add', IF.faH, 'type', 'veth', 'peer', 'name', IF.ha);
    ip('link', 'set', IF.ap, 'netns', NS.ap);
    ip('link', 'set', IF.faA, 'netns', NS.fa);
    ip('link', 'set', IF.faH, 'netns', NS.fa);
    ip('link', 'set', IF.ha, 'netns', NS.ha);
    const up = (ns: string, dev: string, addr: string) => {
      inNs(ns, 'ip', 'addr', 'add', addr, 'dev', dev);
      inNs(ns, 'ip', 'link', 'set', dev, 'up');
    };
    for (const ns of Object.values(NS)) inNs(ns, 'ip', 'link', 'set', 'lo', 'up');
    up(NS.ap, IF.ap, '10.2.0.10/24');
    up(NS.fa, IF.faA, '10.2.0.2/24');
    up(NS.fa, IF.faH, '10.1.0.2/24');
    up(NS.ha, IF.ha, '10.1.0.1/24');
    // The foreign agent relays from its access-side address: the home agent routes back to it.
    inNs(NS.ha, 'ip', 'route', 'add', '10.2.0.0/24', 'via', '10.1.0.2');

    writeFileSync(
      path.join(dir, 'ha.yaml'),
      stringify({
        site: { name: 'netns-ha' },
        homeAgents: [
          {
            id: 'ha-1',
            address: '10.1.0.1',
            subnet: '10.1.0.0/24',
            perNodeSecurityAssociations: [{ spi: 4242, key: NODE_KEY }],
          },
        ],
        securityAssociations: {
          local: [{ address: '10.1.0.32', rangeEnd: '10.1.0.254', spi: 256, key: KEY }],
        },
        ...common,
      }),
    );
    writeFileSync(
      path.join(dir, 'fa.yaml'),
      stringify({
        site: { name: 'netns-fa' },
        foreignAgents: [
          {
            id: 'fa-1',
            address: '10.2.0.2',
            maxLifetime: 600,
            advertisements: { intervalMs: 3_600_000, transport: 'icmp' },
          },
        ],
        ...common,
      }),
    );
    // tshark on the foreign agent's access-side link, for the whole test.
    capture = spawn('ip', ['netns', 'exec', NS.fa, 'tshark', '-i', IF.faA, '-w', pcap, '-q'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let capErr = '';
    capture.stderr!.setEncoding('utf8').on('data', (d: string) => (capErr += d));
    await until(() => capErr.includes('Capturing on'), 'tshark to capture', 15_000);
    ha = run(NS.ha, path.join(dir, 'ha.yaml'));
    fa = run(NS.fa, path.join(dir, 'fa.yaml'));
    await Promise.all([ready(ha), ready(fa)]);
  }, 60_000);

  afterAll(async () => {
    if (process.env.NETNS_DEBUG) {
      console.log(`AP:\n${ap?.out()}\nFA:\n${fa?.out()}\nHA:\n${ha?.out()}`);
      console.log(spawnSync('tshark', ['-r', pcap], { encoding: 'utf8' }).stdout);
    }
    await Promise.all([stop(ap), stop(fa), stop(ha)]);
    if (capture && capture.exitCode === null) {
      const exited = new Promise((r) => capture!.once('exit', r));
      capture.kill('SIGTERM');
      await exited;
    }
    for (const ns of Object.values(NS)) spawnSync('ip', ['netns', 'del', ns], { stdio: 'pipe' });
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  async function startAp(perNodeKey?: string, extra: string[] = [], colocated = false): Promise<void> {
    await stop(ap);
    const file = path.join(dir, `ap-${perNodeKey ?? 'plain'}${colocated ? '-colocated' : ''}.yaml`);
    writeFileSync(file, stringify(apConfig(perNodeKey, colocated)));
    ap = run(NS.ap, file, extra);
    await ready(ap);
  }

  it('the access point solicits, the foreign agent answers at once, a visitor registers through it', async () => {
    // The foreign agent's first (hourly) advertisement is long gone: only a solicitation helps.
    const sentBefore = metric(NS.fa, 'pmip_fa_advertisements_sent_total');
    await startAp();
    const t0 = Date.now();
    curl(NS.ap, 'http://127.0.0.1:9435/api/v1/associations', {
      mac: '02:00:00:00:17:01',
      address: '10.1.0.50',
      ssid: 'corp',
      accessPoint: 'ap-1',
    });
    await until(() => metric(NS.ap, 'pmip_mn_registrations_accepted_total') >= 1, 'the registration');
    const elapsed = Date.now() - t0;
    expect(metric(NS.ap, 'pmip_mn_solicitations_sent_total')).toBeGreaterThanOrEqual(1);
    expect(metric(NS.fa, 'pmip_fa_advertisements_sent_total')).toBeGreaterThan(sentBefore);
    // At once: well within the access point's first retry (1 s) plus a round trip, not the hour.
    expect(elapsed).toBeLessThan(8000);
    const bindings = JSON.parse(curl(NS.ha, 'http://127.0.0.1:9434/api/v1/bindings')) as {
      bindings: Array<{ homeAddress: string; peer: string }>;
    };
    expect(bindings.bindings).toContainEqual(
      expect.objectContaining({ homeAddress: '10.1.0.50', peer: '10.2.0.2' }),
    );
  }, 60_000);

  it('proxy mode: accepted with the right per-node key, refused (132) with a wrong one', async () => {
    await startAp(NODE_KEY);
    curl(NS.ap, 'http://127.0.0.1:9435/api/v1/associations', {
      mac: '02:00:00:00:17:02',
      address: '10.1.0.51',
      ssid: 'corp',
      accessPoint: 'ap-1',
    });
    await until(
      () => metric(NS.ap, 'pmip_mn_registrations_accepted_total') >= 1,
      'the proxy-mode registration',
    );
    expect(curl(NS.ap, 'http://127.0.0.1:9434/metrics')).toContain(
      'pmip_home_agent_authentication_info{home_agent="ha-1",mode="per_node"} 1',
    );

    await startAp('ffeeddccbbaa99887766554433221100');
    curl(NS.ap, 'http://127.0.0.1:9435/api/v1/associations', {
      mac: '02:00:00:00:17:03',
      address: '10.1.0.52',
      ssid: 'corp',
      accessPoint: 'ap-1',
    });
    const deniedLine = () =>
      curl(NS.ha, 'http://127.0.0.1:9434/metrics')
        .split('\n')
        .find((l) => l.startsWith('pmip_ha_registration_denials_total{') && l.includes('code="132"')) ?? '';
    await until(() => Number(deniedLine().split(' ').pop()) >= 1, 'the 132 denial at the home agent');
    // The access point cannot verify the reply (wrong key): a security violation, not an acceptance.
    await until(
      () => metric(NS.ap, 'pmip_security_violations_total') >= 1,
      'the violation at the access point',
    );
    expect(metric(NS.ap, 'pmip_mn_registrations_accepted_total')).toBe(0);
    const bindings = curl(NS.ha, 'http://127.0.0.1:9434/api/v1/bindings');
    expect(bindings).not.toContain('10.1.0.52');
    expect(bindings).not.toContain(NODE_KEY);
  }, 60_000);

  it('proxy mode with the access point an hour off: 133, resynchronised in one extra round trip', async () => {
    await startAp(NODE_KEY, ['--clock-offset', '3600']);
    curl(NS.ap, 'http://127.0.0.1:9435/api/v1/associations', {
      mac: '02:00:00:00:17:04',
      address: '10.1.0.53',
      ssid: 'corp',
      accessPoint: 'ap-1',
    });
    await until(
      () => metric(NS.ap, 'pmip_mn_registrations_accepted_total') >= 1,
      'the registration after the resynchronisation',
    );
    // One denial (133, the identification's time out of the window, RFC 5944 section 5.7), one
    // resynchronisation, and exactly one extra request and reply: two of each for one acceptance.
    expect(metric(NS.ap, 'pmip_mn_time_syncs_total')).toBe(1);
    expect(metric(NS.ap, 'pmip_mn_registration_replies_received_total')).toBe(2);
    const offset = metric(NS.ap, 'pmip_time_sync_offset_seconds');
    expect(Math.abs(offset + 3600)).toBeLessThan(5);
    const bindings = curl(NS.ha, 'http://127.0.0.1:9434/api/v1/bindings');
    expect(bindings).toContain('10.1.0.53');
  }, 60_000);

  it('no foreign agent: the access point registers straight with the home agent, care-of = its own address', async () => {
    // The foreign agent's namespace is only a router here: the datagrams to 10.1.0.1 pass through
    // its kernel, not its foreign agent process.
    inNs(NS.fa, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1');
    inNs(NS.ap, 'ip', 'route', 'replace', '10.1.0.0/24', 'via', '10.2.0.2');
    const relayedBefore = metric(NS.fa, 'pmip_fa_registration_requests_relayed_total');
    await startAp(undefined, [], true);
    curl(NS.ap, 'http://127.0.0.1:9435/api/v1/associations', {
      mac: '02:00:00:00:17:05',
      address: '10.1.0.54',
      ssid: 'corp',
      accessPoint: 'ap-1',
    });
    await until(() => metric(NS.ap, 'pmip_mn_registrations_accepted_total') >= 1, 'the direct registration');
    const bindings = JSON.parse(curl(NS.ha, 'http://127.0.0.1:9434/api/v1/bindings')) as {
      bindings: Array<{ homeAddress: string; peer: string }>;
    };
    // `peer`: the binding's care-of address (the tunnel's far end), here the access point's own.
    expect(bindings.bindings).toContainEqual(
      expect.objectContaining({ homeAddress: '10.1.0.54', peer: '10.2.0.10' }),
    );
    // Nothing went through the foreign agent process.
    expect(metric(NS.fa, 'pmip_fa_registration_requests_relayed_total')).toBe(relayedBefore);
  }, 60_000);

  it('tshark on the veth: ICMP type 9 with the mobility extension, solicitations, clean registrations', async () => {
    // Stop the capture to flush it, then read it.
    const exited = new Promise((r) => capture!.once('exit', r));
    capture!.kill('SIGTERM');
    await exited;
    const fields = (filter: string, ...f: string[]) =>
      execFileSync('tshark', ['-r', pcap, '-Y', filter, '-T', 'fields', ...f.flatMap((x) => ['-e', x])], {
        encoding: 'utf8',
      })
        .split('\n')
        .filter((l) => l.trim() !== '');
    const adverts = fields('icmp.type == 9', 'ip.src', 'icmp.mip.type', 'icmp.mip.f', 'icmp.mip.coa');
    expect(adverts.length).toBeGreaterThanOrEqual(1);
    for (const a of adverts) {
      const [src, extType, f, coa] = a.split('\t');
      expect(src).toBe('10.2.0.2');
      expect(extType).toBe('16');
      expect(['1', 'True', 'true']).toContain(f);
      expect(coa).toBe('10.2.0.2');
    }
    expect(fields('icmp.type == 10', 'ip.src', 'ip.dst')).toContainEqual('10.2.0.10\t224.0.0.11');
    // Each solicitation that got an answer got it at once: a unicast advertisement within 0.5 s.
    const solicited = fields('icmp.type == 10', 'frame.time_relative').map(Number);
    const answers = fields('icmp.type == 9 && ip.dst == 10.2.0.10', 'frame.time_relative').map(Number);
    expect(answers.length).toBeGreaterThanOrEqual(3);
    for (const t of answers) {
      const before = solicited.filter((x) => x <= t).pop();
      expect(before).toBeDefined();
      expect(t - before!).toBeLessThan(0.5);
    }
    const registrations = fields('mip', 'mip.type');
    expect(registrations.length).toBeGreaterThanOrEqual(4);
    expect(fields('_ws.malformed || _ws.expert.severity >= warning', 'frame.number')).toEqual([]);
    // Proxy mode on the wire: extension 47 dissected as the per-node authentication method.
    expect(
      fields('mip.ext.pmipv4nonskipext.pernodeauthmethod == 1', 'frame.number').length,
    ).toBeGreaterThanOrEqual(1);
    expect(readFileSync(pcap).length).toBeGreaterThan(0);
  }, 30_000);
});
