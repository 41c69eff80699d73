import { describe, expect, it } from 'vitest';
import { AccessPointRegistry } from '../../../src/pmip/aap/access-point-registry.ts';
import { PeerList } from '../../../src/pmip/aap/peer-list.ts';
import { StampedTable } from '../../../src/pmip/aap/stamped-table.ts';
import { FakeScheduler } from '../../../src/pmip/runtime/scheduler.ts';
import { rowKey } from '../../../src/pmip/subnet-map/digest.ts';
import { ipv4ToUint32 } from '../../../src/pmip/wire/ipv4.ts';

/** The AAP's parts without sockets: what they decide, given what happened. */

const HA = ipv4ToUint32('10.1.0.1');
const KEY_24 = rowKey(ipv4ToUint32('10.1.0.0'), 24);

describe('the AP list', () => {
  it('counts an AP for its subnet until it moves, leaves or is handed over', () => {
    const registry = new AccessPointRegistry();
    const ap = registry.reported('ap-1', { address: '127.0.0.1', port: 4000 }, 1000);
    registry.setRow(ap, { homeAgent: HA, prefixLength: 24, key: KEY_24 });
    expect(registry.hasApsIn(KEY_24)).toBe(true);
    const other = rowKey(ipv4ToUint32('10.2.0.0'), 24);
    registry.setRow(ap, { homeAgent: ipv4ToUint32('10.2.0.1'), prefixLength: 24, key: other });
    expect([registry.hasApsIn(KEY_24), registry.hasApsIn(other)]).toEqual([false, true]);
    registry.remove(ap);
    expect(registry.hasApsIn(other)).toBe(false);
    expect(registry.views()).toEqual([]);

    // A handed-over AP is served, but does not make its subnet ours.
    const visitor = registry.handedOver('ap-2', { address: '127.0.0.2', port: 4001 }, 1000, 'aap-1');
    registry.setRow(visitor, { homeAgent: HA, prefixLength: 24, key: KEY_24 });
    expect(registry.hasApsIn(KEY_24)).toBe(false);
    expect(registry.views()).toEqual([
      expect.objectContaining({
        id: 'ap-2',
        handedOverBy: 'aap-1',
        homeAgent: '10.1.0.1',
        mask: '255.255.255.0',
      }),
    ]);
    // Its own report makes it one of ours again.
    registry.reported('ap-2', { address: '127.0.0.2', port: 4001 }, 2000);
    expect(registry.get('ap-2')).toMatchObject({ handedOverBy: undefined, lastSeen: 2000, reachable: true });
  });

  it('expires only its own APs, after the expiry time', () => {
    const registry = new AccessPointRegistry();
    registry.reported('old', { address: '127.0.0.1', port: 1 }, 1000);
    registry.reported('fresh', { address: '127.0.0.1', port: 2 }, 5000);
    registry.handedOver('visitor', { address: '127.0.0.1', port: 3 }, 0, 'aap-1');
    expect(registry.expired(6001, 5000).map((ap) => ap.id)).toEqual(['old']);
    expect(registry.expired(6000, 5000)).toEqual([]);
  });
});

describe('the peer list', () => {
  it('finds this AAP by its endpoint, labels peers by id or endpoint, and refuses a list without it', () => {
    const peers = new PeerList();
    expect(peers.indexOf({ address: '127.0.0.2', port: 6500 })).toBe(-1);
    peers.resolve('aap-2', { address: '127.0.0.2', port: 6500 }, [
      { id: 'aap-1', address: '127.0.0.1', port: 6500 },
      { address: '127.0.0.2', port: 6500 },
      { address: '127.0.0.3', port: 6501 },
    ]);
    expect(peers.selfIndex).toBe(1);
    expect([0, 1, 2].map((i) => peers.at(i).label)).toEqual(['aap-1', 'aap-2', '127.0.0.3:6501']);
    expect(peers.others()).toEqual([0, 2]);
    expect(peers.indexOf({ address: '127.0.0.2', port: 6500 })).toBe(-1); // itself is no peer
    expect(peers.indexOf({ address: '127.0.0.3', port: 6501 })).toBe(2);
    expect(() =>
      peers.resolve('aap-9', { address: '127.0.0.9', port: 6500 }, [{ address: '127.0.0.1', port: 1 }]),
    ).toThrow(/aaps\[aap-9\]\.aaps: must list this AAP \(127\.0\.0\.9:6500\)/);
  });
});

describe('the stamped table', () => {
  it('stamps local changes with the clock, keeps removals as tombstones, and hands out the changes once', () => {
    const scheduler = new FakeScheduler(10_000);
    const rows = new StampedTable(scheduler);
    rows.seed([{ homeAgent: '10.9.0.1', mask: '255.255.0.0' }]);
    expect(rows.takeChanges()).toEqual({ source: 'config', ops: [] });
    expect(rows.applyLocal(HA, 24, false, 'discovery')).toBe(true);
    expect(rows.record(KEY_24)).toMatchObject({ deleted: false, stamp: 10_000 });
    // Decided again: a newer stamp (same ms: one past), but the live table did not change.
    expect(rows.applyLocal(HA, 24, false, 'discovery')).toBe(false);
    expect(rows.record(KEY_24)).toMatchObject({ deleted: false, stamp: 10_001 });
    expect(rows.applyLocal(HA, 24, true, 'aap')).toBe(true);
    expect(rows.record(KEY_24)).toMatchObject({ deleted: true, stamp: 10_002 });
    expect(rows.takeChanges()).toEqual({
      source: 'discovery',
      ops: [{ op: 'remove', homeAgent: HA, prefixLength: 24 }],
    });
    expect(rows.takeChanges()).toEqual({ source: undefined, ops: [] });
    expect(rows.table.size).toBe(1);
    expect(rows.stateRowsOf([KEY_24])).toEqual([
      { homeAgent: HA, prefixLength: 24, deleted: true, stamp: 10_002 },
    ]);
    rows.expireTombstones(10_002);
    expect(rows.record(KEY_24)).toBeDefined();
    rows.expireTombstones(10_003);
    expect(rows.record(KEY_24)).toBeUndefined();
  });
});
