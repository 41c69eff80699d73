/**
 * Subnet map benchmarks.
 *
 * - lookup: longest-prefix match in a 10,000-prefix table (`SubnetMapTable.matchUint32`, lengths
 *   /8 to /32, nested; half the addresses inside a prefix, half anywhere), lookups per second;
 *   baseline in the same run, interleaved: a linear scan over the same prefixes in typed arrays.
 *   Also, for the record, the hash-per-prefix-length probe the table used before its range index.
 *   Targets: >= 5,000,000 lookups/s and >= 100x the scan.
 * - distribution: one AAP and 200 access points (AapClient), each on its own loopback
 *   address, real UDP, real clock. "push": 10,000 changed rows added at the AAP until every AP's
 *   table has the AAP's digest (updates in chunks, acknowledged). "pull": all 200 APs clear their
 *   table at once and fetch it again (10,000 rows each). Target: <= 2 s for each.
 *
 * Standalone: `node --import tsx bench/subnet-map.bench.ts [--quick]` prints JSON lines
 * (bench/lib.ts); exits non-zero when a target is missed.
 */
import type { PmipEvent } from '../src/pmip/events.ts';
import { realScheduler } from '../src/pmip/runtime/scheduler.ts';
import { AapServer } from '../src/pmip/aap/server.ts';
import { AapClient } from '../src/pmip/aap/client.ts';
import { SubnetMapTable, prefixLengthToMask } from '../src/pmip/subnet-map/table.ts';
import { seededRandom } from '../src/pmip/wire/identification.ts';
import { uint32ToIpv4 } from '../src/pmip/wire/ipv4.ts';
import { compare, consume, isMain, measure, median, printFigure, type MeasureOptions } from './lib.ts';

export const TARGETS = {
  lookupsPerSecond: 5_000_000,
  lookupRatioToScan: 100,
  distributionSeconds: 2,
} as const;

const GROUP_KEY = 'benchmark-placeholder-group-key';
const PREFIXES = 10_000;
const ACCESS_POINTS = 200;

interface Prefix {
  homeAgent: number;
  prefixLength: number;
}

/** 10,000 distinct prefixes: mostly /24, some shorter ones that contain others, some longer. */
export function benchPrefixes(count = PREFIXES, seed = 42): Prefix[] {
  const rnd = seededRandom(seed);
  const seen = new Set<number>();
  const out: Prefix[] = [];
  while (out.length < count) {
    const r = rnd.float();
    const prefixLength =
      r < 0.6
        ? 24
        : r < 0.75
          ? 16 + Math.floor(rnd.float() * 8)
          : r < 0.9
            ? 25 + Math.floor(rnd.float() * 8)
            : 8 + Math.floor(rnd.float() * 8);
    // Keep most prefixes inside 10/8 and 172.16/12 so that many nest.
    const base =
      rnd.float() < 0.8 ? 0x0a000000 | (rnd.uint32() & 0x00ffffff) : 0xac100000 | (rnd.uint32() & 0x000fffff);
    const network = (base & prefixLengthToMask(prefixLength)) >>> 0;
    const key = network * 64 + prefixLength;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ homeAgent: (network + 1) >>> 0, prefixLength });
  }
  return out;
}

/** Lookup addresses: half inside a random prefix, half anywhere in the address space. */
function benchAddresses(prefixes: Prefix[], n = 1 << 16, seed = 7): Uint32Array {
  const rnd = seededRandom(seed);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    if (i % 2 === 0) {
      const p = prefixes[rnd.uint32() % prefixes.length]!;
      const host = p.prefixLength === 32 ? 0 : rnd.uint32() & ~prefixLengthToMask(p.prefixLength);
      out[i] = ((p.homeAgent & prefixLengthToMask(p.prefixLength)) | host) >>> 0;
    } else out[i] = rnd.uint32();
  }
  return out;
}

/** The baseline: every prefix checked, the longest match kept (typed arrays, no allocation). */
class LinearScan {
  private readonly networks: Uint32Array;
  private readonly masks: Uint32Array;
  private readonly lengths: Uint8Array;
  private readonly homeAgents: Uint32Array;

  constructor(prefixes: Prefix[]) {
    this.networks = new Uint32Array(prefixes.length);
    this.masks = new Uint32Array(prefixes.length);
    this.lengths = new Uint8Array(prefixes.length);
    this.homeAgents = new Uint32Array(prefixes.length);
    prefixes.forEach((p, i) => {
      this.masks[i] = prefixLengthToMask(p.prefixLength);
      this.networks[i] = (p.homeAgent & this.masks[i]!) >>> 0;
      this.lengths[i] = p.prefixLength;
      this.homeAgents[i] = p.homeAgent;
    });
  }

  match(address: number): number {
    let best = -1;
    let bestLength = -1;
    for (let i = 0; i < this.networks.length; i++) {
      if ((address & this.masks[i]!) >>> 0 === this.networks[i]! && this.lengths[i]! > bestLength) {
        best = i;
        bestLength = this.lengths[i]!;
      }
    }
    return best < 0 ? 0 : this.homeAgents[best]!;
  }
}

/** The table's former lookup: one hash probe per prefix length in use, longest first. */
class PerLengthHash {
  private readonly levels: Array<{ length: number; mask: number; map: Map<number, number> }> = [];

  constructor(prefixes: Prefix[]) {
    const byLength = new Map<number, Map<number, number>>();
    for (const p of prefixes) {
      let m = byLength.get(p.prefixLength);
      if (!m) byLength.set(p.prefixLength, (m = new Map()));
      m.set((p.homeAgent & prefixLengthToMask(p.prefixLength)) >>> 0, p.homeAgent);
    }
    for (const length of [...byLength.keys()].sort((a, b) => b - a))
      this.levels.push({ length, mask: prefixLengthToMask(length), map: byLength.get(length)! });
  }

  match(address: number): number {
    for (const level of this.levels) {
      const ha = level.map.get((address & level.mask) >>> 0);
      if (ha !== undefined) return ha;
    }
    return 0;
  }
}

export interface LookupBenchResult {
  prefixes: number;
  lookupsPerSecond: number;
  scanLookupsPerSecond: number;
  ratioToScan: number;
  perLengthHashLookupsPerSecond: number;
  p50Ns: number;
}

export function benchLookup(options: MeasureOptions = {}): LookupBenchResult {
  const prefixes = benchPrefixes();
  const table = new SubnetMapTable();
  for (const p of prefixes) table.upsertUint32(p.homeAgent, p.prefixLength, 'config', 0);
  const addresses = benchAddresses(prefixes);
  const scan = new LinearScan(prefixes);
  // Both find the same home agents (a cheap guard against benchmarking a wrong answer).
  for (let i = 0; i < 2000; i++) {
    const a = addresses[i]!;
    const want = scan.match(a);
    const got = table.matchUint32(a)?.homeAgent;
    if ((want === 0 ? undefined : uint32ToIpv4(want)) !== got)
      throw new Error(`lookup of ${uint32ToIpv4(a)} disagrees`);
  }
  const mask = addresses.length - 1;
  let i = 0;
  let j = 0;
  const c = compare(
    { name: 'SubnetMapTable.matchUint32', fn: () => table.matchUint32(addresses[i++ & mask]!) },
    { name: 'linear scan', fn: () => scan.match(addresses[j++ & mask]!) },
    { batch: 64, ...options },
  );
  const hash = new PerLengthHash(prefixes);
  let k = 0;
  const h = measure('per-length hash', () => hash.match(addresses[k++ & mask]!), { batch: 64, ...options });
  return {
    prefixes: table.size,
    lookupsPerSecond: c.subject.opsPerSecond,
    scanLookupsPerSecond: c.baseline.opsPerSecond,
    ratioToScan: c.ratio,
    perLengthHashLookupsPerSecond: h.opsPerSecond,
    p50Ns: c.subject.p50Ns,
  };
}

export interface DistributionBenchResult {
  accessPoints: number;
  rows: number;
  /** Seconds until every AP had the pushed rows (median of the rounds), and each round. */
  pushSeconds: number;
  pushRounds: number[];
  /** Seconds until all APs, clearing at once, had fetched the whole table again. */
  pullSeconds: number;
  pullRounds: number[];
  datagramsPerPush: number;
  pushRetries: number;
}

function apAddress(i: number): string {
  return `127.67.${1 + Math.floor(i / 200)}.${1 + (i % 200)}`;
}

/** Resolves when `done()` holds: checked after every event and every turn of the event loop. */
function until(events: Array<(e: PmipEvent) => void>, done: () => boolean, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let finished = false;
    const timer = setTimeout(() => {
      finished = true;
      reject(new Error(`not done within ${timeoutMs} ms`));
    }, timeoutMs);
    const check = (): void => {
      if (finished || !done()) return;
      finished = true;
      clearTimeout(timer);
      events.length = 0;
      resolve();
    };
    const poll = (): void => {
      check();
      if (!finished) setImmediate(poll);
    };
    events.push(check);
    poll();
  });
}

export async function benchDistribution(rounds = 3): Promise<DistributionBenchResult> {
  const listeners: Array<(e: PmipEvent) => void> = [];
  const emit = (e: PmipEvent): void => {
    for (const l of listeners) l(e);
  };
  const deps = { scheduler: realScheduler, random: seededRandom(3), emit };
  const aap = await AapServer.start(
    { id: 'aap-bench', address: '127.67.0.1', port: 0, groupKey: GROUP_KEY, timing: { pushTimeoutMs: 5000 } },
    deps,
  );
  const clients: AapClient[] = [];
  try {
    for (let i = 0; i < ACCESS_POINTS; i++) {
      const client = new AapClient(
        {
          id: `ap-${i}`,
          address: apAddress(i),
          aaps: [{ id: 'aap-bench', address: aap.address, port: aap.port }],
          groupKey: GROUP_KEY,
          timing: { reportIntervalMs: 600_000, responseTimeoutMs: 5000 },
        },
        { ...deps, random: seededRandom(100 + i), table: new SubnetMapTable() },
      );
      await client.start();
      clients.push(client);
    }
    await until(listeners, () => clients.every((c) => c.activeAap !== undefined), 10_000);

    const prefixes = benchPrefixes();
    const pushRounds: number[] = [];
    let datagramsBefore = aap.stats().updatesSent;
    let datagramsPerPush = 0;
    for (let r = 0; r < rounds; r++) {
      // Same subnets, another home agent each round: 10,000 changed rows.
      const rows = prefixes.map((p) => ({
        homeAgent: uint32ToIpv4(
          ((p.homeAgent & prefixLengthToMask(p.prefixLength)) + (p.prefixLength === 32 ? 0 : 1 + r)) >>> 0,
        ),
        mask: uint32ToIpv4(prefixLengthToMask(p.prefixLength)),
      }));
      const start = process.hrtime.bigint();
      aap.addRows(rows);
      const target = aap.digest();
      // Done when every AP has the AAP's table and every update is acknowledged.
      await until(
        listeners,
        () => aap.unacknowledged === 0 && clients.every((c) => c.table.digest() === target),
        20_000,
      );
      pushRounds.push(Number(process.hrtime.bigint() - start) / 1e9);
      if (r === 0) datagramsPerPush = aap.stats().updatesSent - datagramsBefore;
      datagramsBefore = aap.stats().updatesSent;
    }

    const pullRounds: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const start = process.hrtime.bigint();
      const results = await Promise.all(clients.map((c) => c.clear()));
      pullRounds.push(Number(process.hrtime.bigint() - start) / 1e9);
      if (!results.every((x) => x.ok && x.rows === aap.table.size))
        throw new Error('a clear did not rebuild its table');
    }
    consume(clients.map((c) => c.table.size));
    return {
      accessPoints: clients.length,
      rows: aap.table.size,
      pushSeconds: median(pushRounds),
      pushRounds,
      pullSeconds: median(pullRounds),
      pullRounds,
      datagramsPerPush,
      pushRetries: aap.stats().pushRetries,
    };
  } finally {
    for (const c of clients) await c.stop();
    await aap.stop();
  }
}

export async function runSubnetMapBench(
  quick = false,
): Promise<{ lookup: LookupBenchResult; distribution: DistributionBenchResult }> {
  const lookup = benchLookup(quick ? { rounds: 3, roundMs: 150, warmupMs: 150 } : {});
  const distribution = await benchDistribution(quick ? 1 : 3);
  return { lookup, distribution };
}

if (isMain(import.meta.url)) {
  const quick = process.argv.includes('--quick');
  const { lookup, distribution } = await runSubnetMapBench(quick);
  const figures = [
    {
      name: 'longest-prefix match, 10,000 prefixes',
      value: Math.round(lookup.lookupsPerSecond),
      unit: 'lookups/s',
      target: `>= ${TARGETS.lookupsPerSecond}`,
      ok: lookup.lookupsPerSecond >= TARGETS.lookupsPerSecond,
      p50Ns: Number(lookup.p50Ns.toFixed(1)),
    },
    { name: 'linear scan, same prefixes', value: Math.round(lookup.scanLookupsPerSecond), unit: 'lookups/s' },
    {
      name: 'ratio to linear scan',
      value: Number(lookup.ratioToScan.toFixed(0)),
      unit: 'x',
      target: `>= ${TARGETS.lookupRatioToScan}`,
      ok: lookup.ratioToScan >= TARGETS.lookupRatioToScan,
    },
    {
      name: 'per-length hash probe (former design)',
      value: Math.round(lookup.perLengthHashLookupsPerSecond),
      unit: 'lookups/s',
    },
    {
      name: `push 10,000 changed rows to ${distribution.accessPoints} APs (median)`,
      value: Number(distribution.pushSeconds.toFixed(3)),
      unit: 's',
      target: `<= ${TARGETS.distributionSeconds}`,
      ok: distribution.pushSeconds <= TARGETS.distributionSeconds,
      rounds: distribution.pushRounds.map((x) => Number(x.toFixed(3))),
      datagrams: distribution.datagramsPerPush,
      retries: distribution.pushRetries,
    },
    {
      name: `${distribution.accessPoints} APs clear and fetch the 10,000-row table at once (median)`,
      value: Number(distribution.pullSeconds.toFixed(3)),
      unit: 's',
      target: `<= ${TARGETS.distributionSeconds}`,
      ok: distribution.pullSeconds <= TARGETS.distributionSeconds,
      rounds: distribution.pullRounds.map((x) => Number(x.toFixed(3))),
    },
  ];
  for (const f of figures) printFigure({ bench: 'subnet-map', ...f });
  if (figures.some((f) => f.ok === false)) process.exitCode = 1;
}
