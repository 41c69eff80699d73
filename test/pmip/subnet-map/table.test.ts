import { describe, expect, it } from 'vitest';
import { SubnetMapError, SubnetMapTable, maskToPrefixLength } from '../../../src/pmip/subnet-map/table.ts';

describe('subnet map table', () => {
  it('converts contiguous masks to prefix lengths and refuses the others', () => {
    expect(maskToPrefixLength('0.0.0.0')).toBe(0);
    expect(maskToPrefixLength('255.255.255.128')).toBe(25);
    expect(maskToPrefixLength('255.255.255.255')).toBe(32);
    expect(() => maskToPrefixLength('255.0.255.0')).toThrow(SubnetMapError);
    expect(() => maskToPrefixLength('255.0.255.0')).toThrow('mask: 255.0.255.0 is not a contiguous netmask');
  });

  it('finds the home agent by longest-prefix match', () => {
    const t = new SubnetMapTable();
    t.upsert('10.0.0.1', '255.0.0.0', 'config', 1);
    t.upsert('10.1.0.1', '255.255.0.0', 'config', 1);
    t.upsert('10.1.2.1', '255.255.255.0', 'aap', 2);
    expect(t.match('10.1.2.77')?.homeAgent).toBe('10.1.2.1');
    expect(t.match('10.1.3.77')?.homeAgent).toBe('10.1.0.1');
    expect(t.match('10.9.3.77')?.homeAgent).toBe('10.0.0.1');
    expect(t.match('192.168.1.1')).toBeUndefined();
    expect(t.match('10.1.2.77')).toMatchObject({
      mask: '255.255.255.0',
      prefixLength: 24,
      network: '10.1.2.0',
      source: 'aap',
    });
  });

  it('versions every change and only changes', () => {
    const t = new SubnetMapTable();
    expect(t.upsert('10.1.2.1', '255.255.255.0', 'config', 1)).toBe(true);
    expect(t.version).toBe(1);
    expect(t.upsert('10.1.2.1', '255.255.255.0', 'config', 5)).toBe(false);
    expect(t.version).toBe(1);
    expect(t.rows()[0]?.updatedAt).toBe(5);
    expect(t.upsert('10.1.2.9', '255.255.255.0', 'aap', 6)).toBe(true); // same subnet, new home agent
    expect(t.size).toBe(1);
    expect(t.match('10.1.2.3')?.homeAgent).toBe('10.1.2.9');
    expect(t.remove('10.1.2.200', '255.255.255.0')).toBe(true);
    expect(t.size).toBe(0);
    expect(t.match('10.1.2.3')).toBeUndefined();
    expect(t.version).toBe(3);
  });

  it('clears and keeps matching correctly afterwards', () => {
    const t = new SubnetMapTable();
    t.upsert('10.1.2.1', '255.255.255.0', 'config', 1);
    t.clear();
    expect(t.size).toBe(0);
    expect(t.match('10.1.2.3')).toBeUndefined();
    t.upsert('10.1.0.1', '255.255.0.0', 'config', 1);
    expect(t.match('10.1.2.3')?.homeAgent).toBe('10.1.0.1');
  });
});
