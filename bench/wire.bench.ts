/**
 * Wire codec benchmarks.
 *
 * - encode: build + authenticate a Registration Request (typical fields, a NAI extension, a
 *   Mobile-Home authentication extension) with `encodeRegistration`, per second, for both
 *   algorithms; baseline: `computeAuthenticator` alone over the same protected bytes, same run.
 * - verify: parse + verify a Registration Reply (`decodeRegistrationLayout` +
 *   `verifyAuthentication`), per second, both algorithms; baseline: `computeAuthenticator` over
 *   the bytes the reply's authenticator covers, same run.
 * - fuzz: seeded mutations (bit flips, truncations, appended bytes, corrupted length fields, byte
 *   overwrites, random datagrams) of valid requests, replies, advertisements and solicitations,
 *   each one fed to `decodeRegistrationLayout` (then `verifyAuthentication` when it decodes) and to
 *   `decodeIcmpMobility`. Anything thrown that is not a WireError is a crash.
 *
 * Targets: encode and verify >= 0.7 of their baseline; zero fuzz crashes. A missed ratio prints
 * MISS; only crashes make the process exit non-zero.
 *
 * Standalone: `node --import tsx bench/wire.bench.ts [--quick] [--fuzz=N]` prints JSON lines.
 */
import {
  authenticatorsEqual,
  computeAuthenticator,
  decodeIcmpMobility,
  decodeRegistrationLayout,
  encodeAgentAdvertisement,
  encodeAgentSolicitation,
  encodeRegistration,
  advertisementFlags,
  internetChecksum,
  isWireError,
  requestFlags,
  seededRandom,
  verifyAuthentication,
  WIRE_ERROR_KINDS,
  type AuthAlgorithm,
  type Authentication,
  type RegistrationReply,
  type RegistrationRequest,
  type WireErrorKind,
} from '../src/pmip/wire/index.ts';
import { compare, isMain, printFigure, type Comparison, type MeasureOptions } from './lib.ts';

export const TARGETS = {
  encodeRatio: 0.7,
  verifyRatio: 0.7,
  fuzzDatagrams: 1_000_000,
  fuzzCrashes: 0,
} as const;

const KEY = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
const SPI = 0x1001;

/** What an access point sends for one client: typical fields, the client's NAI, T bit set. */
export function typicalRequest(i = 0): RegistrationRequest {
  return {
    type: 'registration-request',
    flags: requestFlags({ T: true }),
    lifetime: 600,
    homeAddress: `10.1.${(i >> 8) & 255}.${i & 255}`,
    homeAgent: '10.255.0.1',
    careOfAddress: '10.253.0.17',
    identification: 0xed2f8a8012345678n + BigInt(i),
    extensions: [
      {
        kind: 'nai',
        type: 131,
        nai: `02-00-00-00-${(i & 255).toString(16).padStart(2, '0')}-01@pmip.example.net`,
      },
    ],
  };
}

export function typicalReply(i = 0): RegistrationReply {
  return {
    type: 'registration-reply',
    code: 0,
    lifetime: 600,
    homeAddress: `10.1.${(i >> 8) & 255}.${i & 255}`,
    homeAgent: '10.255.0.1',
    identification: 0xed2f8a8012345678n + BigInt(i),
    extensions: [
      {
        kind: 'nai',
        type: 131,
        nai: `02-00-00-00-${(i & 255).toString(16).padStart(2, '0')}-01@pmip.example.net`,
      },
    ],
  };
}

export interface RatioCase {
  name: string;
  algorithm: AuthAlgorithm;
  opsPerSecond: number;
  p50Ns: number;
  p99Ns: number;
  baselineOpsPerSecond: number;
  baselineP50Ns: number;
  ratio: number;
  target: number;
  pass: boolean;
  bytes: number;
}

function ratioCase(
  name: string,
  algorithm: AuthAlgorithm,
  c: Comparison,
  target: number,
  bytes: number,
): RatioCase {
  return {
    name,
    algorithm,
    opsPerSecond: Math.round(c.subject.opsPerSecond),
    p50Ns: Math.round(c.subject.p50Ns),
    p99Ns: Math.round(c.subject.p99Ns),
    baselineOpsPerSecond: Math.round(c.baseline.opsPerSecond),
    baselineP50Ns: Math.round(c.baseline.p50Ns),
    ratio: Number(c.ratio.toFixed(3)),
    target,
    pass: c.ratio >= target,
    bytes,
  };
}

/** Build + authenticate a Registration Request vs. computing its authenticator alone. */
export function benchEncode(algorithm: AuthAlgorithm, options?: MeasureOptions): RatioCase {
  const auth: Authentication = { spi: SPI, key: KEY, algorithm };
  // A pool of distinct clients so the encoder sees varied strings, as an access point would.
  const messages = Array.from({ length: 256 }, (_, i) => typicalRequest(i));
  const sample = encodeRegistration(messages[0]!, auth);
  const protectedBytes = sample.subarray(0, sample.length - 16);
  let i = 0;
  const c = compare(
    {
      name: `encode+auth request (${algorithm})`,
      fn: () => encodeRegistration(messages[i++ & 255]!, auth),
    },
    {
      name: `computeAuthenticator (${algorithm})`,
      fn: () => computeAuthenticator(algorithm, KEY, protectedBytes),
    },
    options,
  );
  return ratioCase('encode', algorithm, c, TARGETS.encodeRatio, sample.length);
}

/** Parse + verify a Registration Reply vs. computing its authenticator alone. */
export function benchVerify(algorithm: AuthAlgorithm, options?: MeasureOptions): RatioCase {
  const sa = { spi: SPI, key: KEY, algorithm };
  const replies = Array.from({ length: 256 }, (_, i) => encodeRegistration(typicalReply(i), sa));
  const covered = replies[0]!.subarray(0, replies[0]!.length - 16);
  for (const r of replies) {
    if (verifyAuthentication(decodeRegistrationLayout(r), sa) !== 'ok')
      throw new Error('reply does not verify');
  }
  let i = 0;
  const c = compare(
    {
      name: `decode+verify reply (${algorithm})`,
      fn: () => {
        const result = verifyAuthentication(decodeRegistrationLayout(replies[i++ & 255]!), sa);
        if (result !== 'ok') throw new Error(result);
        return result;
      },
    },
    {
      name: `computeAuthenticator (${algorithm})`,
      fn: () => computeAuthenticator(algorithm, KEY, covered),
    },
    options,
  );
  return ratioCase('verify', algorithm, c, TARGETS.verifyRatio, replies[0]!.length);
}

/**
 * For reference, not a target: the floor a codec can reach on this machine. "encode" writes the
 * same request as `benchEncode` with no validation, no extension list and the addresses already
 * as numbers, then appends the same authenticator; "verify" walks the TLVs to the authentication
 * extension without building any object, recomputes and compares. Both against the same baseline,
 * same run. If these ratios are near 0.7 too, a MISS above is the machine, not the codec.
 */
export function benchFloor(
  kind: 'encode' | 'verify',
  algorithm: AuthAlgorithm,
  options?: MeasureOptions,
): RatioCase {
  const naiText = (typicalRequest(0).extensions[0] as { nai: string }).nai;
  const naiLength = Buffer.byteLength(naiText);
  const sa = { spi: SPI, key: KEY, algorithm };
  const reply = encodeRegistration(typicalReply(0), sa);
  let i = 0;
  const encodeFloor = (): Buffer => {
    const n = i++ & 255;
    const buf = Buffer.allocUnsafe(24 + 2 + naiLength + 22);
    buf[0] = 1;
    buf[1] = 0x02;
    buf.writeUInt16BE(600, 2);
    buf.writeUInt32BE(0x0a010000 + n, 4);
    buf.writeUInt32BE(0x0aff0001, 8);
    buf.writeUInt32BE(0x0afd0011, 12);
    buf.writeUInt32BE(0xed2f8a80, 16);
    buf.writeUInt32BE(0x12345678 + n, 20);
    buf[24] = 131;
    buf[25] = buf.write(naiText, 26, 'latin1');
    const off = 26 + naiLength;
    buf[off] = 32;
    buf[off + 1] = 20;
    buf.writeUInt32BE(SPI, off + 2);
    buf.set(computeAuthenticator(algorithm, KEY, buf.subarray(0, off + 6)), off + 6);
    return buf;
  };
  const verifyFloor = (): boolean => {
    let off = 20;
    while (off + 2 <= reply.length && reply[off] !== 32) off += 2 + reply[off + 1]!;
    if (reply.readUInt32BE(off + 2) !== SPI) return false;
    const expected = computeAuthenticator(algorithm, KEY, reply.subarray(0, off + 6));
    return authenticatorsEqual(expected, reply.subarray(off + 6, off + 22));
  };
  // the floor does the same work: the same bytes as the codec, an authenticator that verifies
  const sample = kind === 'encode' ? encodeFloor() : reply;
  i = 0;
  if (kind === 'encode' && !sample.equals(encodeRegistration(typicalRequest(0), sa)))
    throw new Error('floor encoder writes other bytes than encodeRegistration');
  if (kind === 'verify' && !verifyFloor()) throw new Error('floor verify failed');
  const covered = sample.subarray(0, sample.length - 16);
  const c = compare(
    { name: `${kind} floor (${algorithm})`, fn: kind === 'encode' ? encodeFloor : verifyFloor },
    { name: `computeAuthenticator (${algorithm})`, fn: () => computeAuthenticator(algorithm, KEY, covered) },
    options,
  );
  return ratioCase(`${kind}-floor`, algorithm, c, 0, covered.length + 16);
}

// ---------------------------------------------------------------------------------------------
// Fuzz

interface Seed {
  origin: 'request' | 'reply' | 'advertisement' | 'solicitation';
  bytes: Buffer;
  /** Offsets of length fields a mutation may corrupt. */
  lengthFields: number[];
}

function registrationSeed(origin: 'request' | 'reply', bytes: Buffer): Seed {
  const { offsets } = decodeRegistrationLayout(bytes);
  const lengthFields: number[] = [];
  for (const off of offsets) {
    const type = bytes[off]!;
    if (type === 36 || type === 47) lengthFields.push(off + 2, off + 3);
    else lengthFields.push(off + 1);
  }
  return { origin, bytes, lengthFields };
}

function advertisementSeed(bytes: Buffer, routerCount: number): Seed {
  // num addrs, entry size, and the extension length bytes after the router addresses
  const lengthFields = [4, 5];
  let off = 8 + routerCount * 8;
  while (off < bytes.length) {
    if (bytes[off] === 0) {
      off++;
      continue;
    }
    lengthFields.push(off + 1);
    off += 2 + bytes[off + 1]!;
  }
  return { origin: 'advertisement', bytes, lengthFields };
}

export function fuzzSeeds(): Seed[] {
  const seeds: Seed[] = [];
  const auth = (algorithm: AuthAlgorithm, type: 32 | 33 | 34 = 32): Authentication => ({
    type,
    spi: SPI,
    key: KEY,
    algorithm,
  });
  const req = typicalRequest(7);
  seeds.push(registrationSeed('request', encodeRegistration(req, auth('prefix-suffix'))));
  seeds.push(registrationSeed('request', encodeRegistration(req, auth('hmac-md5'))));
  seeds.push(registrationSeed('request', encodeRegistration({ ...req, extensions: [] })));
  seeds.push(
    registrationSeed(
      'request',
      encodeRegistration(
        {
          ...req,
          flags: requestFlags({ S: true, B: true, D: true, M: true, G: true, r: true, T: true, x: true }),
          lifetime: 0xffff,
          extensions: [
            { kind: 'nai', type: 131, nai: 'user@example.org' },
            { kind: 'long', type: 47, subtype: 1, data: Buffer.from('0102030405060708', 'hex') },
            { kind: 'raw', type: 147, data: Buffer.from('c0ffee', 'hex') },
            { kind: 'auth', type: 32, spi: 256, authenticator: Buffer.alloc(16, 0xab) },
            { kind: 'long', type: 36, subtype: 4, data: Buffer.alloc(20, 7) },
          ],
        },
        auth('hmac-md5', 33),
      ),
    ),
  );
  const rep = typicalReply(9);
  seeds.push(registrationSeed('reply', encodeRegistration(rep, auth('prefix-suffix'))));
  seeds.push(
    registrationSeed('reply', encodeRegistration({ ...rep, code: 133, extensions: [] }, auth('hmac-md5'))),
  );
  seeds.push(
    registrationSeed(
      'reply',
      encodeRegistration({
        ...rep,
        code: 69,
        extensions: [
          { kind: 'raw', type: 145, data: Buffer.from('lifetime too long', 'utf8') },
          { kind: 'auth', type: 34, spi: 300, authenticator: Buffer.alloc(16, 1) },
        ],
      }),
    ),
  );
  const adv = {
    type: 'agent-advertisement' as const,
    icmpCode: 0,
    routerLifetime: 1800,
    routerAddresses: [{ address: '10.253.0.1', preference: 0 }],
    sequence: 300,
    registrationLifetime: 1800,
    flags: advertisementFlags({ F: true, R: true, T: true }),
    careOfAddresses: ['10.253.0.1'],
    padding: 0,
  };
  seeds.push(advertisementSeed(encodeAgentAdvertisement(adv), 1));
  seeds.push(
    advertisementSeed(
      encodeAgentAdvertisement({
        ...adv,
        routerAddresses: [
          { address: '10.253.0.1', preference: 10 },
          { address: '10.253.1.1', preference: 5 },
        ],
        careOfAddresses: ['10.253.0.1', '10.253.0.2', '10.253.0.3'],
        prefixLengths: [24, 16],
        padding: 3,
      }),
      2,
    ),
  );
  seeds.push(
    advertisementSeed(encodeAgentAdvertisement({ ...adv, routerAddresses: [], careOfAddresses: [] }), 0),
  );
  seeds.push({ origin: 'solicitation', bytes: encodeAgentSolicitation(), lengthFields: [] });
  return seeds;
}

type Random = ReturnType<typeof seededRandom>;

function randInt(rnd: Random, n: number): number {
  return rnd.uint32() % n;
}

const MUTATIONS = [
  'bit-flips',
  'truncate',
  'append',
  'length-field',
  'overwrite',
  'random',
  'double',
] as const;
type Mutation = (typeof MUTATIONS)[number];

function mutateOnce(seed: Seed, bytes: Buffer, kind: Mutation, rnd: Random): Buffer {
  switch (kind) {
    case 'bit-flips': {
      const out = Buffer.from(bytes);
      if (out.length === 0) return out;
      const flips = 1 + randInt(rnd, 4);
      for (let k = 0; k < flips; k++) {
        const bit = randInt(rnd, out.length * 8);
        out[bit >> 3]! ^= 0x80 >> (bit & 7);
      }
      return out;
    }
    case 'truncate':
      return Buffer.from(bytes.subarray(0, randInt(rnd, bytes.length + 1)));
    case 'append': {
      const extra = Buffer.allocUnsafe(1 + randInt(rnd, 64));
      for (let k = 0; k < extra.length; k++) extra[k] = rnd.uint32() & 255;
      return Buffer.concat([bytes, extra]);
    }
    case 'length-field': {
      const out = Buffer.from(bytes);
      const candidates = seed.lengthFields.filter((p) => p < out.length);
      const pos =
        candidates.length > 0 ? candidates[randInt(rnd, candidates.length)]! : randInt(rnd, out.length + 1);
      if (pos < out.length) {
        const r = rnd.uint32();
        // off by one either way, zero, all ones, or anything
        out[pos] = [out[pos]! + 1, out[pos]! - 1, 0, 255, r >>> 8][r & 3]! & 255;
      }
      return out;
    }
    case 'overwrite': {
      const out = Buffer.from(bytes);
      const n = 1 + randInt(rnd, 4);
      for (let k = 0; k < n && out.length > 0; k++) out[randInt(rnd, out.length)] = rnd.uint32() & 255;
      return out;
    }
    case 'random': {
      const out = Buffer.allocUnsafe(randInt(rnd, 129));
      for (let k = 0; k < out.length; k++) out[k] = rnd.uint32() & 255;
      // usually a plausible first byte, so the decoders get past the type check
      if (out.length > 0 && (rnd.uint32() & 3) !== 0) out[0] = [1, 3, 9, 10][randInt(rnd, 4)]!;
      return out;
    }
    case 'double':
      return mutateOnce(
        seed,
        mutateOnce(seed, bytes, MUTATIONS[randInt(rnd, 6)]!, rnd),
        MUTATIONS[randInt(rnd, 6)]!,
        rnd,
      );
  }
}

/** One mutated datagram; ICMP seeds get their checksum repaired half the time so parsing goes deeper. */
export function mutateDatagram(seed: Seed, rnd: Random): { bytes: Buffer; mutation: Mutation } {
  const mutation = MUTATIONS[randInt(rnd, MUTATIONS.length)]!;
  const bytes = mutateOnce(seed, seed.bytes, mutation, rnd);
  if (
    (seed.origin === 'advertisement' || seed.origin === 'solicitation') &&
    bytes.length >= 4 &&
    (rnd.uint32() & 1) === 0
  ) {
    bytes.writeUInt16BE(0, 2);
    bytes.writeUInt16BE(internetChecksum(bytes), 2);
  }
  return { bytes, mutation };
}

export interface DecoderTally {
  calls: number;
  decoded: number;
  wireErrors: Record<WireErrorKind, number>;
  crashes: number;
}

export interface FuzzResult {
  seed: number;
  datagrams: number;
  seconds: number;
  datagramsPerSecond: number;
  registration: DecoderTally & { verified: Record<string, number> };
  icmp: DecoderTally;
  crashes: number;
  /** The first few crashes, enough to reproduce them. */
  crashSamples: Array<{ decoder: string; mutation: Mutation; hex: string; error: string }>;
}

function tally(): DecoderTally {
  const wireErrors = Object.fromEntries(WIRE_ERROR_KINDS.map((k) => [k, 0])) as Record<WireErrorKind, number>;
  return { calls: 0, decoded: 0, wireErrors, crashes: 0 };
}

export function runFuzz(datagrams: number = TARGETS.fuzzDatagrams, seedValue = 0x5eed): FuzzResult {
  const rnd = seededRandom(seedValue);
  const seeds = fuzzSeeds();
  const reg = { ...tally(), verified: {} as Record<string, number> };
  const icmp = tally();
  const crashSamples: FuzzResult['crashSamples'] = [];
  const algorithms: AuthAlgorithm[] = ['prefix-suffix', 'hmac-md5'];
  const crash = (decoder: string, mutation: Mutation, bytes: Buffer, e: unknown, t: DecoderTally): void => {
    t.crashes++;
    if (crashSamples.length < 10)
      crashSamples.push({
        decoder,
        mutation,
        hex: bytes.toString('hex'),
        error: String((e as Error)?.stack ?? e),
      });
  };
  const start = process.hrtime.bigint();
  for (let n = 0; n < datagrams; n++) {
    const seed = seeds[randInt(rnd, seeds.length)]!;
    const { bytes, mutation } = mutateDatagram(seed, rnd);

    reg.calls++;
    try {
      const decoded = decodeRegistrationLayout(bytes);
      reg.decoded++;
      const check = verifyAuthentication(decoded, { spi: SPI, key: KEY, algorithm: algorithms[n & 1]! });
      reg.verified[check] = (reg.verified[check] ?? 0) + 1;
    } catch (e) {
      if (isWireError(e)) reg.wireErrors[e.kind]++;
      else crash('registration', mutation, bytes, e, reg);
    }

    icmp.calls++;
    try {
      decodeIcmpMobility(bytes);
      icmp.decoded++;
    } catch (e) {
      if (isWireError(e)) icmp.wireErrors[e.kind]++;
      else crash('icmp', mutation, bytes, e, icmp);
    }
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return {
    seed: seedValue,
    datagrams,
    seconds: Number(seconds.toFixed(3)),
    datagramsPerSecond: Math.round(datagrams / seconds),
    registration: reg,
    icmp,
    crashes: reg.crashes + icmp.crashes,
    crashSamples,
  };
}

export interface WireBenchResult {
  cases: RatioCase[];
  /** Reference ratios of minimal hand-written code (see benchFloor); no targets. */
  floors: RatioCase[];
  fuzz: FuzzResult;
}

export function runWireBench(options: { quick?: boolean; fuzz?: number } = {}): WireBenchResult {
  // many short paired rounds: the median ratio of adjacent pairs shrugs off load from other processes
  const measure: MeasureOptions = options.quick
    ? { warmupMs: 100, rounds: 5, roundMs: 100 }
    : { warmupMs: 300, rounds: 31, roundMs: 100 };
  const cases: RatioCase[] = [];
  for (const algorithm of ['prefix-suffix', 'hmac-md5'] as const) cases.push(benchEncode(algorithm, measure));
  for (const algorithm of ['prefix-suffix', 'hmac-md5'] as const) cases.push(benchVerify(algorithm, measure));
  const floors = options.quick
    ? []
    : [benchFloor('encode', 'prefix-suffix', measure), benchFloor('verify', 'prefix-suffix', measure)];
  const fuzz = runFuzz(options.fuzz ?? (options.quick ? 100_000 : TARGETS.fuzzDatagrams));
  return { cases, floors, fuzz };
}

export function printWireFigures(r: WireBenchResult): void {
  for (const c of r.cases) {
    const label = c.name === 'encode' ? 'encode+auth request' : 'decode+verify reply';
    printFigure({
      bench: 'wire',
      name: `${label} (${c.algorithm}) ops/s`,
      value: c.opsPerSecond,
      unit: 'ops/s',
      p50Ns: c.p50Ns,
      p99Ns: c.p99Ns,
      bytes: c.bytes,
    });
    printFigure({
      bench: 'wire',
      name: `baseline computeAuthenticator (${c.algorithm}, ${c.name}) ops/s`,
      value: c.baselineOpsPerSecond,
      unit: 'ops/s',
      p50Ns: c.baselineP50Ns,
    });
    printFigure({
      bench: 'wire',
      name: `${label} (${c.algorithm}) ratio to baseline`,
      value: c.ratio,
      target: `>= ${c.target}`,
      ok: c.pass,
    });
  }
  for (const c of r.floors) {
    printFigure({
      bench: 'wire',
      name: `reference: ${c.name} (${c.algorithm}), minimal code, ratio to baseline`,
      value: c.ratio,
      opsPerSecond: c.opsPerSecond,
      baselineOpsPerSecond: c.baselineOpsPerSecond,
    });
  }
  const f = r.fuzz;
  printFigure({
    bench: 'wire',
    name: 'fuzz datagrams',
    value: f.datagrams,
    target: `>= ${TARGETS.fuzzDatagrams}`,
    ok: f.datagrams >= TARGETS.fuzzDatagrams,
    seconds: f.seconds,
    perSecond: f.datagramsPerSecond,
    seed: f.seed,
  });
  printFigure({
    bench: 'wire',
    name: 'fuzz decodeRegistrationLayout',
    value: f.registration.decoded,
    unit: 'decoded',
    wireErrors: f.registration.wireErrors,
    verified: f.registration.verified,
  });
  printFigure({
    bench: 'wire',
    name: 'fuzz decodeIcmpMobility',
    value: f.icmp.decoded,
    unit: 'decoded',
    wireErrors: f.icmp.wireErrors,
  });
  printFigure({
    bench: 'wire',
    name: 'fuzz crashes (non-WireError throws)',
    value: f.crashes,
    target: '= 0',
    ok: f.crashes === 0,
    samples: f.crashSamples,
  });
}

if (isMain(import.meta.url)) {
  const args = process.argv.slice(2);
  const fuzzArg = args.find((a) => a.startsWith('--fuzz='));
  const result = runWireBench({
    quick: args.includes('--quick'),
    ...(fuzzArg ? { fuzz: Number(fuzzArg.slice(7)) } : {}),
  });
  printWireFigures(result);
  if (result.fuzz.crashes > 0) process.exitCode = 1;
}
