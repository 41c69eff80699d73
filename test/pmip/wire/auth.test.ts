import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  authenticatorsEqual,
  computeAuthenticator,
  decodeRegistrationLayout,
  encodeRegistration,
  parseKeyHex,
  requestFlags,
  verifyAuthentication,
  WireError,
  type AuthAlgorithm,
  type RegistrationRequest,
} from '../../../src/pmip/wire/index.ts';

// ---------------------------------------------------------------------------------------------
// An independent MD5 / HMAC-MD5: Python's hashlib (or openssl when python3 is missing), fed the
// same bytes as hex. Nothing here goes through node:crypto.

const hasPython = spawnSync('python3', ['-c', 'import hashlib, hmac'], { encoding: 'utf8' }).status === 0;

const PYTHON = `
import sys, hashlib, hmac
mode, args = sys.argv[1], sys.argv[2:]
for i in range(0, len(args), 2):
    k, d = bytes.fromhex(args[i]), bytes.fromhex(args[i + 1])
    print(hashlib.md5(k + d + k).hexdigest() if mode == 'prefix-suffix' else hmac.new(k, d, hashlib.md5).hexdigest())
`;

function openssl(args: string[], input: Buffer): string {
  const r = spawnSync('openssl', ['dgst', '-md5', '-r', ...args], { input });
  if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr.toString()}`);
  return r.stdout.toString().trim().split(/\s+/)[0]!;
}

/** Independently computed authenticators (hex) for each (key, protected bytes) pair. */
function independent(algorithm: AuthAlgorithm, pairs: ReadonlyArray<readonly [Buffer, Buffer]>): string[] {
  if (hasPython) {
    const args = pairs.flatMap(([k, d]) => [k.toString('hex'), d.toString('hex')]);
    const r = spawnSync('python3', ['-c', PYTHON, algorithm, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
    return r.stdout.trim().split('\n');
  }
  return pairs.map(([k, d]) =>
    algorithm === 'prefix-suffix'
      ? openssl([], Buffer.concat([k, d, k]))
      : openssl(['-mac', 'HMAC', '-macopt', `hexkey:${k.toString('hex')}`], d),
  );
}

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('HMAC-MD5: RFC 2202 section 2 test vectors', () => {
  const vectors: Array<[string, Buffer, Buffer, string]> = [
    ['1', Buffer.alloc(16, 0x0b), Buffer.from('Hi There'), '9294727a3638bb1c13f48ef8158bfc9d'],
    [
      '2',
      Buffer.from('Jefe'),
      Buffer.from('what do ya want for nothing?'),
      '750c783e6ab0b503eaa86e310a5db738',
    ],
    ['3', Buffer.alloc(16, 0xaa), Buffer.alloc(50, 0xdd), '56be34521d144c88dbb8c733f0e8b3f6'],
    [
      '4',
      hex('0102030405060708090a0b0c0d0e0f10111213141516171819'),
      Buffer.alloc(50, 0xcd),
      '697eaf0aca3a3aea3a75164746ffaa79',
    ],
    ['5', Buffer.alloc(16, 0x0c), Buffer.from('Test With Truncation'), '56461ef2342edc00f9bab995690efd4c'],
    [
      '6',
      Buffer.alloc(80, 0xaa),
      Buffer.from('Test Using Larger Than Block-Size Key - Hash Key First'),
      '6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd',
    ],
    [
      '7',
      Buffer.alloc(80, 0xaa),
      Buffer.from('Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data'),
      '6f630fad67cda0ee1fb1f562db3aa53e',
    ],
  ];
  it.each(vectors)('test case %s gives the RFC digest', (_n, key, data, digest) => {
    const out = computeAuthenticator('hmac-md5', key, data);
    expect(out.toString('hex')).toBe(digest);
    expect(out.length).toBe(16);
  });

  it('test case 5 truncated to 96 bits is 56461ef2342edc00f9bab995', () => {
    const out = computeAuthenticator('hmac-md5', Buffer.alloc(16, 0x0c), Buffer.from('Test With Truncation'));
    expect(out.subarray(0, 12).toString('hex')).toBe('56461ef2342edc00f9bab995');
  });
});

describe('keyed MD5 prefix+suffix (RFC 2002)', () => {
  it('equals an independent MD5(key || bytes || key) for several keys and lengths', () => {
    const pairs: Array<readonly [Buffer, Buffer]> = [];
    const keyLengths = [16, 1, 5, 20, 64, 65];
    const dataLengths = [0, 1, 24, 46, 55, 56, 63, 64, 65, 200];
    let seed = 1;
    const byte = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
    for (const kl of keyLengths)
      for (const dl of dataLengths)
        pairs.push([
          Buffer.from(Array.from({ length: kl }, byte)),
          Buffer.from(Array.from({ length: dl }, byte)),
        ]);
    const expected = independent('prefix-suffix', pairs);
    expect(expected).toHaveLength(pairs.length);
    pairs.forEach(([k, d], i) => {
      expect(
        computeAuthenticator('prefix-suffix', k, d).toString('hex'),
        `key ${k.length} data ${d.length}`,
      ).toBe(expected[i]);
    });
  });

  const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
  it.runIf(hasPython && hasOpenssl)('gets the same independent figures from openssl as from python3', () => {
    const k = hex('0f0e0d0c0b0a09080706050403020100');
    const d = Buffer.from('independent check');
    const [ps, hm] = [independent('prefix-suffix', [[k, d]])[0], independent('hmac-md5', [[k, d]])[0]];
    expect(openssl([], Buffer.concat([k, d, k]))).toBe(ps);
    expect(openssl(['-mac', 'HMAC', '-macopt', `hexkey:${k.toString('hex')}`], d)).toBe(hm);
  });

  it('is not HMAC and depends on the key at both ends', () => {
    const key = Buffer.alloc(16, 7);
    const data = Buffer.from('abc');
    const ps = computeAuthenticator('prefix-suffix', key, data);
    expect(ps.equals(computeAuthenticator('hmac-md5', key, data))).toBe(false);
    // MD5(key || data) alone (no suffix) is different
    const [prefixOnly] = independent('prefix-suffix', [[Buffer.alloc(0), Buffer.concat([key, data])]]);
    expect(ps.toString('hex')).not.toBe(prefixOnly);
  });
});

describe('a signed Registration Request', () => {
  const key = hex('00112233445566778899aabbccddeeff');
  const spi = 0x1001;
  const request: RegistrationRequest = {
    type: 'registration-request',
    flags: requestFlags({ T: true }),
    lifetime: 600,
    homeAddress: '10.1.2.3',
    homeAgent: '10.255.0.1',
    careOfAddress: '10.253.0.17',
    identification: 0xed2f8a80_12345678n,
    extensions: [{ kind: 'nai', type: 131, nai: 'user@example.org' }],
  };
  // 24 fixed + NAI (2 + 16) + auth (2 + 4 + 16)
  const AUTH_OFFSET = 24 + 18;

  for (const algorithm of ['prefix-suffix', 'hmac-md5'] as const) {
    it(`carries ${algorithm} over bytes 0..offset+6 in a type 32, length 20 extension (independent check)`, () => {
      const bytes = encodeRegistration(request, { spi, key, algorithm });
      expect(bytes.length).toBe(AUTH_OFFSET + 22);
      expect(bytes[AUTH_OFFSET]).toBe(32);
      expect(bytes[AUTH_OFFSET + 1]).toBe(20);
      expect(bytes.readUInt32BE(AUTH_OFFSET + 2)).toBe(spi);
      const covered = bytes.subarray(0, AUTH_OFFSET + 6);
      const [expected] = independent(algorithm, [[key, covered]]);
      expect(bytes.subarray(AUTH_OFFSET + 6).toString('hex')).toBe(expected);
      // the other algorithm gives a different authenticator over the same bytes
      const [other] = independent(algorithm === 'hmac-md5' ? 'prefix-suffix' : 'hmac-md5', [[key, covered]]);
      expect(bytes.subarray(AUTH_OFFSET + 6).toString('hex')).not.toBe(other);
    });
  }

  it('signs with a Mobile-Foreign (33) extension after the others when asked', () => {
    const bytes = encodeRegistration(request, { type: 33, spi, key, algorithm: 'hmac-md5' });
    expect(bytes[AUTH_OFFSET]).toBe(33);
    const [expected] = independent('hmac-md5', [[key, bytes.subarray(0, AUTH_OFFSET + 6)]]);
    expect(bytes.subarray(AUTH_OFFSET + 6).toString('hex')).toBe(expected);
  });

  describe('verifyAuthentication', () => {
    for (const algorithm of ['prefix-suffix', 'hmac-md5'] as const) {
      const sa = { spi, key, algorithm };
      const bytes = encodeRegistration(request, sa);

      it(`says ok for the datagram as sent (${algorithm})`, () => {
        expect(verifyAuthentication(decodeRegistrationLayout(bytes), sa)).toBe('ok');
      });

      it(`never says ok when any one bit of the protected bytes is flipped (${algorithm})`, () => {
        const outcomes = new Map<string, number>();
        for (let bit = 0; bit < (AUTH_OFFSET + 6) * 8; bit++) {
          const b = Buffer.from(bytes);
          b[bit >> 3]! ^= 0x80 >> (bit & 7);
          let outcome: string;
          try {
            outcome = verifyAuthentication(decodeRegistrationLayout(b), sa);
          } catch (e) {
            expect(e).toBeInstanceOf(WireError);
            outcome = `throws ${(e as WireError).kind}`;
          }
          expect(outcome, `bit ${bit}`).not.toBe('ok');
          // fixed-part fields after the type byte and the NAI text change nothing but the bytes
          const byte = bit >> 3;
          if ((byte >= 1 && byte < 24) || (byte >= 26 && byte < AUTH_OFFSET))
            expect(outcome, `bit ${bit}`).toBe('bad-authenticator');
          // the SPI is compared before the authenticator
          if (byte >= AUTH_OFFSET + 2) expect(outcome, `bit ${bit}`).toBe('spi-mismatch');
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        }
        expect(outcomes.get('bad-authenticator')).toBeGreaterThan(300);
      });

      it(`says bad-authenticator for any one bit flipped in the authenticator (${algorithm})`, () => {
        for (let bit = 0; bit < 128; bit++) {
          const b = Buffer.from(bytes);
          b[AUTH_OFFSET + 6 + (bit >> 3)]! ^= 0x80 >> (bit & 7);
          expect(verifyAuthentication(decodeRegistrationLayout(b), sa), `bit ${bit}`).toBe(
            'bad-authenticator',
          );
        }
      });

      it(`says bad-authenticator for the wrong key or the wrong algorithm (${algorithm})`, () => {
        const d = decodeRegistrationLayout(bytes);
        const wrongKey = Buffer.from(key);
        wrongKey[15]! ^= 1;
        expect(verifyAuthentication(d, { ...sa, key: wrongKey })).toBe('bad-authenticator');
        const otherAlgorithm = algorithm === 'hmac-md5' ? 'prefix-suffix' : 'hmac-md5';
        expect(verifyAuthentication(d, { ...sa, algorithm: otherAlgorithm })).toBe('bad-authenticator');
      });
    }

    it('says spi-mismatch when the extension carries another SPI', () => {
      const bytes = encodeRegistration(request, { spi, key, algorithm: 'hmac-md5' });
      expect(
        verifyAuthentication(decodeRegistrationLayout(bytes), { spi: spi + 1, key, algorithm: 'hmac-md5' }),
      ).toBe('spi-mismatch');
    });

    it('says missing without an authentication extension of the asked type', () => {
      const unsigned = encodeRegistration(request);
      expect(
        verifyAuthentication(decodeRegistrationLayout(unsigned), { spi, key, algorithm: 'hmac-md5' }),
      ).toBe('missing');
      const signed = encodeRegistration(request, { spi, key, algorithm: 'hmac-md5' });
      expect(
        verifyAuthentication(decodeRegistrationLayout(signed), { spi, key, algorithm: 'hmac-md5', type: 34 }),
      ).toBe('missing');
    });

    it('says bad-authenticator (not ok, not a throw) for a truncated authenticator', () => {
      const bytes = encodeRegistration(request, { spi, key, algorithm: 'hmac-md5' });
      const short = Buffer.from(bytes.subarray(0, bytes.length - 4));
      short[AUTH_OFFSET + 1] = 16; // a consistent length: SPI + 12 bytes
      expect(verifyAuthentication(decodeRegistrationLayout(short), { spi, key, algorithm: 'hmac-md5' })).toBe(
        'bad-authenticator',
      );
    });
  });
});

describe('authenticatorsEqual', () => {
  it('compares contents and treats different lengths as unequal', () => {
    expect(authenticatorsEqual(hex('0102'), hex('0102'))).toBe(true);
    expect(authenticatorsEqual(hex('0102'), hex('0103'))).toBe(false);
    expect(authenticatorsEqual(hex('0102'), hex('010200'))).toBe(false);
  });
});

describe('parseKeyHex', () => {
  it('parses 32 hex digits, either case, with an optional 0x and surrounding spaces', () => {
    expect(parseKeyHex('00112233445566778899AABBCCDDEEFF').toString('hex')).toBe(
      '00112233445566778899aabbccddeeff',
    );
    expect(parseKeyHex('  0x00112233445566778899aabbccddeeff \n')).toEqual(
      hex('00112233445566778899aabbccddeeff'),
    );
  });

  it('rejects malformed keys with an error naming the field that never contains the key text', () => {
    const secrets = [
      's3cr3t-passphrase-do-not-log!!!!',
      '00112233445566778899aabbccddeef', // odd length
      '00112233445566778899aabbccddeeXY',
      'deadbeefcafebabe deadbeefcafebabe',
      '',
    ];
    for (const secret of secrets) {
      let error: unknown;
      try {
        parseKeyHex(secret, 'associations[3].key');
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify(secret)).toBeInstanceOf(WireError);
      const message = (error as WireError).message;
      expect(message).toContain('associations[3].key');
      expect((error as WireError).kind).toBe('bad-value');
      // no 4-character piece of the secret appears (hex digits of the message itself excepted)
      const trimmed = secret.trim();
      for (let i = 0; i + 4 <= trimmed.length; i++) expect(message).not.toContain(trimmed.slice(i, i + 4));
      expect(String((error as WireError).stack)).not.toContain(trimmed || '\u0000');
    }
  });
});
