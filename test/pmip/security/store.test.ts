import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  LocalSecurityAssociations,
  SecurityAssociationChain,
  SecurityAssociationError,
} from '../../../src/pmip/security/store.ts';

const KEY = '00112233445566778899aabbccddeeff';

describe('local security associations', () => {
  it('prefers a single-address binding, then the narrowest range', async () => {
    const store = new LocalSecurityAssociations([
      { address: '10.1.0.0', rangeEnd: '10.1.255.255', spi: 300, keyHex: KEY },
      { address: '10.1.2.0', rangeEnd: '10.1.2.255', spi: 400, keyHex: KEY, algorithm: 'hmac-md5' },
      { address: '10.1.2.7', spi: 500, keyHex: KEY, replay: 'nonce' },
    ]);
    expect(store.lookup('10.1.2.7')?.sa.spi).toBe(500);
    expect(store.lookup('10.1.2.8')?.sa.spi).toBe(400);
    expect(store.lookup('10.1.3.8')?.sa.spi).toBe(300);
    expect(store.lookup('10.2.0.1')).toBeUndefined();
    expect(store.lookup('10.1.2.8')?.description).toEqual({
      spi: 400,
      algorithm: 'hmac-md5',
      replay: 'timestamp',
      replayWindowSeconds: 7,
      scope: '10.1.2.0-10.1.2.255',
      source: 'local',
    });
    expect(store.lookupBySpi('10.1.2.7', 500)?.sa.replay).toBe('nonce');
    expect(store.lookupBySpi('10.1.2.7', 501)).toBeUndefined();
    const chain = new SecurityAssociationChain([new LocalSecurityAssociations(), store]);
    expect((await chain.lookup('10.1.2.7'))?.sa.spi).toBe(500);
  });

  it('refuses reserved SPIs and bad keys without echoing the key', () => {
    expect(() => new LocalSecurityAssociations([{ address: '10.0.0.1', spi: 255, keyHex: KEY }])).toThrow(
      'bindings[0].spi: 255 must be an integer from 256 to 4294967295 (0-255 are reserved)',
    );
    const badKey = '00112233445566778899aabbccddee';
    let message = '';
    try {
      new LocalSecurityAssociations([{ address: '10.0.0.1', spi: 256, keyHex: badKey }]);
    } catch (e) {
      expect(e).toBeInstanceOf(SecurityAssociationError);
      message = (e as Error).message;
    }
    expect(message).toBe('bindings[0].key: must be 16 bytes (32 hex digits), got 15');
    expect(message).not.toContain(badKey);
    expect(
      () =>
        new LocalSecurityAssociations([{ address: '10.0.0.9', rangeEnd: '10.0.0.1', spi: 256, keyHex: KEY }]),
    ).toThrow('bindings[0].rangeEnd: 10.0.0.1 is below the start 10.0.0.9');
  });

  it('never shows the key in descriptions, JSON or inspection', () => {
    const store = new LocalSecurityAssociations([{ address: '10.0.0.1', spi: 256, keyHex: KEY }]);
    const found = store.lookup('10.0.0.1')!;
    expect(found.sa.key.toString('hex')).toBe(KEY); // the codec can still use it
    for (const text of [
      JSON.stringify(store.describe()),
      JSON.stringify(found.sa),
      inspect(found.sa),
      inspect(store.describe()),
    ]) {
      expect(text).not.toContain(KEY);
      expect(text).not.toContain('0011');
    }
  });

  it('clear wipes every binding and zeroes the key bytes', () => {
    const store = new LocalSecurityAssociations([{ address: '10.0.0.1', spi: 256, keyHex: KEY }]);
    const key = store.lookup('10.0.0.1')!.sa.key;
    store.clear();
    expect(store.size).toBe(0);
    expect(store.lookup('10.0.0.1')).toBeUndefined();
    expect(key.every((b) => b === 0)).toBe(true);
  });
});
