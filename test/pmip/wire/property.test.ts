import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeIcmpMobility,
  decodeRegistration,
  decodeRegistrationLayout,
  encodeAgentAdvertisement,
  encodeAgentSolicitation,
  encodeRegistration,
  verifyAuthentication,
  WireError,
  type IcmpMobilityMessage,
} from '../../../src/pmip/wire/index.ts';
import {
  agentAdvertisementArb,
  applyMutations,
  authenticationArb,
  fixIcmpChecksum,
  icmpMobilityArb,
  mutationsArb,
  registrationBytesArb,
  registrationMessageArb,
} from '../../support/wire-arbitraries.ts';

const SEED = 20260101;

function encodeIcmp(m: IcmpMobilityMessage): Buffer {
  return m.type === 'agent-solicitation' ? encodeAgentSolicitation() : encodeAgentAdvertisement(m);
}

/** Runs `fn`; anything thrown must be a WireError. Returns what it threw, if anything. */
function onlyWireErrors(fn: () => unknown): WireError | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    if (!(e instanceof WireError)) throw new Error(`threw a non-WireError: ${String(e)}`, { cause: e });
    expect(e).toBeInstanceOf(WireError);
    return e;
  }
}

/**
 * Decoding is linear and these inputs are small (microseconds each): a call taking a whole second
 * would mean a runaway loop. Generous, so that a loaded machine preempting the test is no failure.
 */
const MAX_DECODE_MS = 1000;

function timedDecode(fn: () => unknown): void {
  const start = performance.now();
  onlyWireErrors(fn);
  expect(performance.now() - start).toBeLessThan(MAX_DECODE_MS);
}

describe('round trips of random valid messages', () => {
  it('decodeRegistration(encodeRegistration(m)) deep-equals m for requests and replies with any extensions', () => {
    fc.assert(
      fc.property(registrationMessageArb, (m) => {
        const bytes = encodeRegistration(m);
        expect(decodeRegistration(bytes)).toStrictEqual(m);
      }),
      { numRuns: 3000, seed: SEED },
    );
  });

  it('a message signed while encoding decodes to m plus the authentication extension, and verifies', () => {
    fc.assert(
      fc.property(registrationMessageArb, authenticationArb, (m, auth) => {
        // verifyAuthentication checks the first extension of its type: keep earlier ones out
        const message = {
          ...m,
          extensions: m.extensions.filter((e) => e.kind !== 'auth' || e.type !== auth.type),
        };
        const bytes = encodeRegistration(message, auth);
        const decoded = decodeRegistrationLayout(bytes);
        const last = decoded.message.extensions.at(-1);
        expect(decoded.message).toStrictEqual({
          ...message,
          extensions: [
            ...message.extensions,
            {
              kind: 'auth',
              type: auth.type,
              spi: auth.spi,
              authenticator: last?.kind === 'auth' ? last.authenticator : undefined,
            },
          ],
        });
        expect(last?.kind === 'auth' && last.authenticator.length).toBe(16);
        expect(decoded.offsets.at(-1)).toBe(bytes.length - 22);
        expect(verifyAuthentication(decoded, auth)).toBe('ok');
      }),
      { numRuns: 1500, seed: SEED },
    );
  });

  it('decodeIcmpMobility(encode(m)) deep-equals m for advertisements and solicitations', () => {
    fc.assert(
      fc.property(icmpMobilityArb, (m) => {
        expect(decodeIcmpMobility(encodeIcmp(m))).toStrictEqual(m);
      }),
      { numRuns: 3000, seed: SEED },
    );
  });
});

describe('re-encoding decoded bytes', () => {
  it('encodeRegistration(decodeRegistration(b)) === b for well-formed datagrams built byte by byte', () => {
    fc.assert(
      fc.property(registrationBytesArb, (b) => {
        expect(encodeRegistration(decodeRegistration(b)).equals(b)).toBe(true);
      }),
      { numRuns: 3000, seed: SEED },
    );
  });

  it('encodeRegistration(decodeRegistration(b)) === b for every random or mutated datagram that decodes', () => {
    let decodedCount = 0;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ minLength: 0, maxLength: 80 }).map((a) => {
            const b = Buffer.from(a);
            if (b.length > 0) b[0] = b[0]! & 1 ? 1 : 3;
            return b;
          }),
          fc.tuple(registrationBytesArb, mutationsArb).map(([b, ms]) => applyMutations(b, ms)),
        ),
        (b) => {
          let m;
          try {
            m = decodeRegistration(b);
          } catch (e) {
            expect(e).toBeInstanceOf(WireError);
            return;
          }
          decodedCount++;
          expect(encodeRegistration(m).equals(b)).toBe(true);
        },
      ),
      { numRuns: 4000, seed: SEED },
    );
    // the property must not be vacuous
    expect(decodedCount).toBeGreaterThan(200);
  });

  it('encodeAgentAdvertisement(decode(b)) === b for encoder output, and decoding is idempotent for any advertisement that decodes', () => {
    fc.assert(
      fc.property(agentAdvertisementArb, mutationsArb, (adv, ms) => {
        const canonical = encodeAgentAdvertisement(adv);
        const first = decodeIcmpMobility(canonical);
        expect(encodeIcmp(first).equals(canonical)).toBe(true);
        // a mutated advertisement with a repaired checksum need not be canonical (reserved bytes,
        // entry size > 2, skipped extensions are not kept) but its normal form is a fixed point
        const mutated = fixIcmpChecksum(applyMutations(canonical, ms));
        let m: IcmpMobilityMessage;
        try {
          m = decodeIcmpMobility(mutated);
        } catch (e) {
          expect(e).toBeInstanceOf(WireError);
          return;
        }
        const normal = encodeIcmp(m);
        expect(decodeIcmpMobility(normal)).toStrictEqual(m);
        expect(encodeIcmp(decodeIcmpMobility(normal)).equals(normal)).toBe(true);
      }),
      { numRuns: 2000, seed: SEED },
    );
  });
});

describe('robustness: decoders only ever throw WireError', () => {
  it('random byte strings', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 300 }),
        fc.constantFrom(0, 1, 3, 9, 10),
        (a, first) => {
          const b = Buffer.from(a);
          if (first !== 0 && b.length > 0) b[0] = first;
          timedDecode(() => decodeRegistrationLayout(b));
          timedDecode(() => decodeIcmpMobility(b));
          timedDecode(() => decodeIcmpMobility(fixIcmpChecksum(Buffer.from(b))));
        },
      ),
      { numRuns: 10000, seed: SEED },
    );
  });

  it('mutated valid registration datagrams (bit flips, truncation, extension, length-byte corruption)', () => {
    const key = Buffer.alloc(16, 0x5a);
    fc.assert(
      fc.property(registrationMessageArb, authenticationArb, mutationsArb, (m, auth, ms) => {
        const bytes = applyMutations(encodeRegistration(m, { ...auth, key }), ms);
        timedDecode(() => {
          const decoded = decodeRegistrationLayout(bytes);
          verifyAuthentication(decoded, { ...auth, key });
        });
        timedDecode(() => decodeIcmpMobility(bytes));
      }),
      { numRuns: 5000, seed: SEED },
    );
  });

  it('mutated valid advertisements and solicitations, with and without a repaired checksum', () => {
    fc.assert(
      fc.property(icmpMobilityArb, mutationsArb, fc.boolean(), (m, ms, repair) => {
        const mutated = applyMutations(encodeIcmp(m), ms);
        const bytes = repair ? fixIcmpChecksum(mutated) : mutated;
        timedDecode(() => decodeIcmpMobility(bytes));
        timedDecode(() => decodeRegistrationLayout(bytes));
      }),
      { numRuns: 5000, seed: SEED },
    );
  });

  it('never hangs: 20,000 mutated datagrams in a child process that is killed after 20 s', () => {
    const root = fileURLToPath(new URL('../../../', import.meta.url));
    const script = `
      import * as w from './src/pmip/wire/index.ts';
      const rnd = w.seededRandom(7);
      const seeds = [
        w.encodeRegistration({ type: 'registration-request', flags: w.requestFlags({ T: true }), lifetime: 600,
          homeAddress: '10.1.0.1', homeAgent: '10.255.0.1', careOfAddress: '10.253.0.1', identification: 1n,
          extensions: [{ kind: 'nai', type: 131, nai: 'a@b' }, { kind: 'long', type: 47, subtype: 1, data: Buffer.alloc(5) }] },
          { spi: 256, key: Buffer.alloc(16), algorithm: 'hmac-md5' }),
        w.encodeAgentAdvertisement({ type: 'agent-advertisement', icmpCode: 0, routerLifetime: 1800,
          routerAddresses: [{ address: '10.253.0.1', preference: 0 }], sequence: 256, registrationLifetime: 600,
          flags: w.advertisementFlags({ F: true }), careOfAddresses: ['10.253.0.1'], prefixLengths: [24], padding: 2 }),
      ];
      let thrown = 0;
      for (let i = 0; i < 20000; i++) {
        const b = Buffer.from(seeds[i & 1]);
        for (let k = 0; k <= (rnd.uint32() & 3); k++) b[rnd.uint32() % b.length] = rnd.uint32() & 255;
        const cut = b.subarray(0, rnd.uint32() % (b.length + 1));
        for (const decode of [w.decodeRegistrationLayout, w.decodeIcmpMobility]) {
          try { decode(cut); } catch (e) { if (!(e instanceof w.WireError)) throw e; thrown++; }
        }
      }
      console.log('done', thrown);
    `;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: root,
      timeout: 20_000,
      encoding: 'utf8',
    });
    expect(r.signal, r.stderr).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^done \d+/);
  });
});
