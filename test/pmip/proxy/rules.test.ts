import { describe, expect, it } from 'vitest';
import {
  PmipRuleError,
  assertPmipRules,
  checkPmipRules,
  type PmipSettings,
} from '../../../src/pmip/proxy/rules.ts';

const good: PmipSettings = {
  mode: 'root',
  ssids: [{ name: 'corp', pmip: true }],
  aaps: ['10.0.0.2'],
  localBindings: 1,
  radius: false,
};

describe('PMIP operating rules', () => {
  it('accepts a root-mode AP with a PMIP SSID, an AAP and local bindings', () => {
    expect(checkPmipRules(good)).toEqual([]);
  });

  it.each([
    [{ mode: 'repeater' as const }, 'mode', 'PMIP cannot be enabled in repeater mode'],
    [{ ssids: [{ name: 'corp', pmip: false }] }, 'ssids', 'PMIP must be enabled on at least one SSID'],
    [{ aaps: [] }, 'aaps', 'at least one authoritative access point must be configured'],
    [{ aaps: ['1.1.1.1', '1.1.1.2', '1.1.1.3', '1.1.1.4'] }, 'aaps', 'at most 3 authoritative access points'],
    [
      { localBindings: 0 },
      'securityAssociations',
      'a source of security associations is required (local bindings or RADIUS)',
    ],
    [
      { ssids: [{ name: 'corp', pmip: true, vlan: 20 }] },
      'ssids[0].vlan',
      'PMIP cannot be mixed with VLAN configuration (SSID has PMIP enabled)',
    ],
    [{ interfaceVlans: [10] }, 'vlans', 'PMIP cannot be mixed with VLAN configuration on the interfaces'],
  ])('refuses %j naming %s', (change, path, rule) => {
    expect(checkPmipRules({ ...good, ...change })).toEqual([{ path, rule }]);
  });

  it('needs no AAP when the site does not exchange its subnet map (no `aap` section)', () => {
    expect(checkPmipRules({ ...good, aaps: [], subnetMapExchange: false })).toEqual([]);
    // Still at most three when some are listed.
    expect(
      checkPmipRules({
        ...good,
        aaps: ['1.1.1.1', '1.1.1.2', '1.1.1.3', '1.1.1.4'],
        subnetMapExchange: false,
      }),
    ).toEqual([{ path: 'aaps', rule: 'at most 3 authoritative access points' }]);
    expect(checkPmipRules({ ...good, aaps: [], subnetMapExchange: true })).toEqual([
      { path: 'aaps', rule: 'at least one authoritative access point must be configured' },
    ]);
  });

  it('accepts RADIUS as the only SA source', () => {
    expect(checkPmipRules({ ...good, localBindings: 0, radius: true })).toEqual([]);
  });

  it('reports every broken rule at once, each with its field', () => {
    const bad: PmipSettings = { mode: 'repeater', ssids: [], aaps: [], localBindings: 0, radius: false };
    let error: unknown;
    try {
      assertPmipRules(bad, 'accessPoints[0].');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PmipRuleError);
    expect((error as Error).message.split('\n')).toEqual([
      'accessPoints[0].mode: PMIP cannot be enabled in repeater mode',
      'accessPoints[0].ssids: PMIP must be enabled on at least one SSID',
      'accessPoints[0].aaps: at least one authoritative access point must be configured',
      'accessPoints[0].securityAssociations: a source of security associations is required (local bindings or RADIUS)',
    ]);
  });
});
