/** The access points' SA sources in the configured order (src/app/security-associations.ts). */
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { siteSecurityAssociations } from '../../../../src/app/security-associations.ts';
import { parseSiteConfig } from '../../../../src/config/load.ts';
import { FakeScheduler } from '../../../../src/pmip/runtime/scheduler.ts';
import {
  LocalSecurityAssociations,
  SecurityAssociationChain,
  SecurityAssociationUnavailable,
  type SecurityAssociationProvider,
} from '../../../../src/pmip/security/store.ts';

const KEY = '00112233445566778899aabbccddeeff';

function unavailable(cause: 'rejected' | 'timeout'): SecurityAssociationProvider {
  return {
    name: 'radius',
    lookup: () =>
      Promise.reject(new SecurityAssociationUnavailable(cause, 'aaa-1', `RADIUS server aaa-1: ${cause}`)),
    describe: () => [],
  };
}

function site(order: string) {
  return parseSiteConfig(
    stringify({
      accessPoints: [{ id: 'ap-1', address: '10.1.0.10', subnet: '10.1.0.0/24', ssids: [{ name: 'corp' }] }],
      securityAssociations: {
        local: [
          { address: '10.9.0.5', spi: 300, key: 'hex:0011223344556677889900112233445566778899' },
          { address: '10.9.0.6', spi: 301, key: 'text:an ASCII home agent secret' },
        ],
        radius: { server: '192.0.2.5', secret: 'cfg-SECRET', password: 'cfg-PASSWORD', order },
      },
      subnetMap: [{ homeAgent: '10.9.0.1', mask: '255.255.255.0' }],
    }),
  ).securityAssociations;
}

describe('SA sources in order', () => {
  it('radius-first falls back to local bindings when RADIUS gives none; without one, says why', async () => {
    const local = new LocalSecurityAssociations([{ address: '10.9.0.5', spi: 300, keyHex: KEY }]);
    const chain = new SecurityAssociationChain([unavailable('timeout'), local]);
    expect((await chain.lookup('10.9.0.5'))?.description.source).toBe('local');
    await expect(chain.lookup('10.9.0.7')).rejects.toMatchObject({ reason: 'timeout', server: 'aaa-1' });
  });

  it('local-first never asks RADIUS for an address a binding covers', async () => {
    let asked = 0;
    const radius: SecurityAssociationProvider = {
      name: 'radius',
      lookup: () => (asked++, undefined),
      describe: () => [],
    };
    const chain = new SecurityAssociationChain([
      new LocalSecurityAssociations([{ address: '10.9.0.5', spi: 300, keyHex: KEY }]),
      radius,
    ]);
    await chain.lookup('10.9.0.5');
    expect(asked).toBe(0);
    expect(await chain.lookup('10.9.0.8')).toBeUndefined();
    expect(asked).toBe(1);
  });

  it.each([
    ['local-first', ['local', 'radius']],
    ['radius-first', ['radius', 'local']],
    ['radius-only', ['radius']],
  ])('%s chains %j; keys of hex: and text: come out as their bytes', async (order, names) => {
    const sas = siteSecurityAssociations(site(order), new FakeScheduler());
    try {
      expect((sas.accessPoints as SecurityAssociationChain).providers.map((p) => p.name)).toEqual(names);
      expect(sas.local.lookup('10.9.0.5')!.sa.key.toString('hex')).toBe(
        '0011223344556677889900112233445566778899',
      );
      expect(sas.local.lookup('10.9.0.6')!.sa.key.toString()).toBe('an ASCII home agent secret');
      expect(sas.radius!.servers).toEqual([
        { name: '192.0.2.5:1812', address: '192.0.2.5', port: 1812, secret: 'cfg-SECRET' },
      ]);
      expect(JSON.stringify(sas.accessPoints.describe())).not.toMatch(/0011223344|ASCII home|cfg-SECRET/);
    } finally {
      await sas.radius!.close();
    }
  });
});
