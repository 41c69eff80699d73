/**
 * SA lookup cost with RADIUS: what the access point awaits before it can send a request.
 *
 * - baseline: a local binding through the provider chain (awaited like every lookup);
 * - a RADIUS SA from the cache (local bindings first, none for the address, then the cache);
 * - a real FreeRADIUS 3.2 round trip on loopback (past the cache), when freeradius is installed.
 *
 * Interleaved rounds of sequential awaited lookups; figures are medians of per-round times and
 * ratios to the baseline of the same round. Standalone:
 * `node --import tsx bench/radius.bench.ts` prints the figures as JSON lines.
 */
import { performance } from 'node:perf_hooks';
import { createRealScheduler } from '../src/pmip/runtime/scheduler.ts';
import { RadiusSecurityAssociations } from '../src/pmip/security/radius/provider.ts';
import { LocalSecurityAssociations, SecurityAssociationChain } from '../src/pmip/security/store.ts';
import { hasFreeRadius, startFreeRadius } from '../test/support/freeradius.ts';
import { consume, isMain, median, printFigure } from './lib.ts';

const SECRET = 'bench-secret';
const ROUNDS = 9;

async function timePerLookup(fn: () => Promise<unknown>, n: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) consume(await fn());
  return ((performance.now() - t0) * 1000) / n;
}

export async function runRadiusBench(): Promise<void> {
  const users = `127.0.9.1  Cleartext-Password := "pw"
        Cisco-AVPair = "mobileip:spi#0=spi 300 key hex 00112233445566778899aabbccddeeff algorithm hmac-md5"
`;
  const server = hasFreeRadius() ? await startFreeRadius({ secret: SECRET, users }) : undefined;
  const local = new LocalSecurityAssociations([
    { address: '127.0.8.1', spi: 256, keyHex: '00112233445566778899aabbccddeeff' },
  ]);
  const radius = new RadiusSecurityAssociations({
    servers: [{ name: 'aaa', address: '127.0.0.1', port: server?.port ?? 9, secret: SECRET }],
    password: 'pw',
    userName: 'home-address',
    attributeStyle: 'auto',
    timeoutMs: 1000,
    retries: 0,
    holdDownMs: 0,
    messageAuthenticator: true,
    cacheSeconds: 3600,
    negativeCacheSeconds: 0,
    algorithm: 'prefix-suffix',
    replay: 'timestamp',
    replayWindowSeconds: 7,
    scheduler: createRealScheduler(),
  });
  const chain = new SecurityAssociationChain([local, radius]);
  try {
    const localUs: number[] = [];
    const cachedUs: number[] = [];
    const liveUs: number[] = [];
    if (server) await chain.lookup('127.0.9.1'); // fills the cache
    for (let r = 0; r < ROUNDS; r++) {
      localUs.push(await timePerLookup(() => chain.lookup('127.0.8.1'), 20000));
      if (server) {
        cachedUs.push(await timePerLookup(() => chain.lookup('127.0.9.1'), 20000));
        liveUs.push(await timePerLookup(() => chain.lookup('127.0.9.1', { bypassCache: true }), 200));
      }
    }
    const base = median(localUs);
    printFigure({
      bench: 'radius',
      name: 'SA lookup, local binding (baseline)',
      value: Number(base.toFixed(3)),
      unit: 'us',
    });
    if (!server) {
      printFigure({ bench: 'radius', name: 'FreeRADIUS not installed: RADIUS figures skipped', value: 0 });
      return;
    }
    const cached = median(cachedUs);
    const live = median(liveUs);
    printFigure({
      bench: 'radius',
      name: 'SA lookup, RADIUS SA from the cache',
      value: Number(cached.toFixed(3)),
      unit: 'us',
    });
    printFigure({
      bench: 'radius',
      name: 'cached RADIUS lookup / local lookup (median of rounds)',
      value: Number(median(cachedUs.map((c, i) => c / localUs[i]!)).toFixed(2)),
      unit: 'x',
    });
    printFigure({
      bench: 'radius',
      name: 'SA lookup, FreeRADIUS round trip on loopback',
      value: Number(live.toFixed(1)),
      unit: 'us',
    });
    printFigure({
      bench: 'radius',
      name: 'FreeRADIUS round trip / cached RADIUS lookup (median of rounds)',
      value: Math.round(median(liveUs.map((l, i) => l / cachedUs[i]!))),
      unit: 'x',
    });
  } finally {
    await radius.close();
    await server?.destroy();
  }
}

if (isMain(import.meta.url)) await runRadiusBench();
