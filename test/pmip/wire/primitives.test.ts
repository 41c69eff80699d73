import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  inSubnet,
  ipv4ToUint32,
  maskToPrefixLength,
  networkOf,
  prefixLengthOf,
  prefixMask,
  uint32ToIpv4,
} from '../../../src/pmip/wire/ipv4.ts';
import { checkPort, checkUint, isPort } from '../../../src/pmip/wire/checks.ts';
import { CodecError, isCodecError } from '../../../src/pmip/wire/codec-error.ts';
import { WireError, badValue } from '../../../src/pmip/wire/errors.ts';
import { CaptureError } from '../../../src/capture/errors.ts';

describe('subnet arithmetic', () => {
  it('prefixMask gives the dotted masks of the usual lengths', () => {
    expect(uint32ToIpv4(prefixMask(0))).toBe('0.0.0.0');
    expect(uint32ToIpv4(prefixMask(1))).toBe('128.0.0.0');
    expect(uint32ToIpv4(prefixMask(24))).toBe('255.255.255.0');
    expect(uint32ToIpv4(prefixMask(31))).toBe('255.255.255.254');
    expect(uint32ToIpv4(prefixMask(32))).toBe('255.255.255.255');
  });

  it('prefixLengthOf inverts prefixMask for every length and rejects masks with holes', () => {
    for (let len = 0; len <= 32; len++) expect(prefixLengthOf(prefixMask(len))).toBe(len);
    expect(prefixLengthOf(ipv4ToUint32('255.0.255.0'))).toBe(-1);
    expect(prefixLengthOf(ipv4ToUint32('0.0.0.255'))).toBe(-1);
    expect(prefixLengthOf(ipv4ToUint32('255.255.255.253'))).toBe(-1);
  });

  it('maskToPrefixLength reads dotted masks; a hole throws what the caller asks for', () => {
    expect(maskToPrefixLength('255.255.240.0')).toBe(20);
    expect(maskToPrefixLength('0.0.0.0')).toBe(0);
    expect(() => maskToPrefixLength('255.0.255.0', 'subnet.mask')).toThrow(WireError);
    expect(() => maskToPrefixLength('255.0.255.0', 'subnet.mask')).toThrow(
      'bad-value: subnet.mask: 255.0.255.0 is not a contiguous netmask',
    );
    class Mine extends Error {}
    expect(() => maskToPrefixLength('255.0.255.0', 'm', (msg) => new Mine(msg))).toThrow(Mine);
    // Not an address at all: the address parser's own error, naming the field.
    expect(() => maskToPrefixLength('255.255.0', 'm', (msg) => new Mine(msg))).toThrow(/m: "255.255.0"/);
  });

  it('networkOf and inSubnet agree with a per-bit reference', () => {
    fc.assert(
      fc.property(fc.nat(0xffffffff), fc.nat(0xffffffff), fc.integer({ min: 0, max: 32 }), (a, n, len) => {
        let same = true;
        for (let bit = 31; bit > 31 - len; bit--) if (((a >>> bit) & 1) !== ((n >>> bit) & 1)) same = false;
        expect(inSubnet(a, n, len)).toBe(same);
        expect(inSubnet(a, networkOf(a, len), len)).toBe(true);
        expect(networkOf(a, len) % 2 ** (32 - len)).toBe(0);
      }),
    );
    expect(inSubnet(ipv4ToUint32('10.1.2.3'), ipv4ToUint32('10.1.0.0'), 16)).toBe(true);
    expect(inSubnet(ipv4ToUint32('10.2.2.3'), ipv4ToUint32('10.1.0.0'), 16)).toBe(false);
    expect(uint32ToIpv4(networkOf(ipv4ToUint32('192.168.77.200'), 20))).toBe('192.168.64.0');
  });
});

describe('range checks', () => {
  it('checkUint accepts 0..max and throws the caller error type with one message shape', () => {
    expect(() => checkUint(0, 'f', 255)).not.toThrow();
    expect(() => checkUint(255, 'f', 255)).not.toThrow();
    expect(() => checkUint(256, 'f', 255)).toThrow(RangeError);
    expect(() => checkUint(256, 'code', 255)).toThrow('code: 256 is not an integer from 0 to 255');
    expect(() => checkUint(-1, 'f', 255, badValue)).toThrow(WireError);
    expect(() => checkUint(1.5, 'f', 255, badValue)).toThrow(
      'bad-value: f: 1.5 is not an integer from 0 to 255',
    );
    expect(() => checkUint(NaN, 'f', 255)).toThrow(RangeError);
  });

  it('checkPort and isPort bound ports to 0..65535 (or min..65535)', () => {
    expect(isPort(0)).toBe(true);
    expect(isPort(0, 1)).toBe(false);
    expect(isPort(65535, 1)).toBe(true);
    expect(isPort(65536)).toBe(false);
    expect(isPort(80.5)).toBe(false);
    expect(() => checkPort(434, 'port')).not.toThrow();
    expect(() => checkPort(70000, 'listen.port')).toThrow(
      'listen.port: 70000 must be a port from 0 to 65535',
    );
    class Mine extends Error {}
    expect(() => checkPort(-1, 'p', (m) => new Mine(m))).toThrow(Mine);
  });
});

describe('codec error base', () => {
  it('WireError and CaptureError share the CodecError shape', () => {
    const w = new WireError('truncated', 'needs 24 bytes', 3);
    const c = new CaptureError('corrupt', 'block lengths disagree', 96);
    for (const e of [w, c]) {
      expect(e).toBeInstanceOf(CodecError);
      expect(isCodecError(e)).toBe(true);
    }
    expect([w.name, w.kind, w.offset, w.message]).toEqual([
      'WireError',
      'truncated',
      3,
      'truncated at byte 3: needs 24 bytes',
    ]);
    expect([c.name, c.kind, c.offset, c.message]).toEqual([
      'CaptureError',
      'corrupt',
      96,
      'corrupt at byte 96: block lengths disagree',
    ]);
    const noOffset = new WireError('bad-value', 'spi');
    expect([noOffset.offset, noOffset.message]).toEqual([undefined, 'bad-value: spi']);
    expect(isCodecError(new Error('x'))).toBe(false);
  });
});
