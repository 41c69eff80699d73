import { describe, expect, it } from 'vitest';
import { Collector } from '../../src/collector/collector.ts';
import type { SubnetMapRow } from '../../src/pmip/subnet-map/table.ts';
import { SITE } from '../support/event-script.ts';

const T = Date.UTC(2026, 0, 1);

function row(i: number): SubnetMapRow {
  return {
    homeAgent: `198.51.${i}.1`,
    mask: '255.255.255.0',
    prefixLength: 24,
    network: `198.51.${i}.0`,
    source: 'config',
    updatedAt: T,
  };
}

const updated = {
  time: T,
  node: 'ap-lobby',
  nodeKind: 'access-point',
  type: 'subnet-map-updated',
  rows: 5,
  version: 2,
  source: 'aap',
} as const;

describe('collector snapshot: subnet map rows', () => {
  it('counts the rows of the injected view, whatever the last event reported', () => {
    let rows = [row(1), row(2), row(3)];
    const c = new Collector({ ...SITE, clock: () => T, views: { subnetMap: () => rows } });
    c.ingest(updated);
    expect(c.snapshot().subnetMap).toMatchObject({ lastReportedRows: 5, rows: 3, rowsFailed: false });
    rows = [row(4)];
    expect(c.snapshot().subnetMap).toMatchObject({ rows: 1, rowsFailed: false });
    expect(c.snapshot().subnetMap.rows).toBe(c.subnetMap().length);
  });

  it('without a view, takes the rows the latest event reported (null before one)', () => {
    const c = new Collector({ ...SITE, clock: () => T });
    expect(c.snapshot().subnetMap).toMatchObject({ lastReportedRows: null, rows: null, rowsFailed: false });
    c.ingest(updated);
    c.ingest({ ...updated, rows: 7, version: 3 });
    expect(c.snapshot().subnetMap).toMatchObject({ lastReportedRows: 7, rows: 7, rowsFailed: false });
  });

  it('says the view failed instead of throwing, and gives no count then', () => {
    let fail = true;
    const c = new Collector({
      ...SITE,
      clock: () => T,
      views: {
        subnetMap: () => {
          if (fail) throw new Error('table gone');
          return [row(1), row(2)];
        },
      },
    });
    c.ingest(updated);
    expect(c.snapshot().subnetMap).toMatchObject({ lastReportedRows: 5, rows: null, rowsFailed: true });
    fail = false;
    expect(c.snapshot().subnetMap).toMatchObject({ rows: 2, rowsFailed: false });
  });
});
