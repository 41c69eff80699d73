/**
 * The RADIUS SA lookup families, by server: present only when RADIUS servers are configured (the
 * snapshot has `radius`), every series at 0 from start-up. Label values are the configured server
 * names. No family carries a key, a secret or a password: the snapshot has none.
 */
import type { RadiusServerStats } from '../../collector/radius.ts';
import type { CollectorSnapshot } from '../../collector/snapshot.ts';
import { RADIUS_ATTRIBUTE_STYLES, RADIUS_EXCHANGE_RESULTS } from '../../collector/vocabulary.ts';
import { label, type ExpositionWriter } from '../serializer.ts';
import { enumLabel } from './common.ts';
import { RADIUS as F } from './table.ts';
import type { FamilyDescription } from './table.ts';

const FAILURES = RADIUS_EXCHANGE_RESULTS.filter((r) => r !== 'accept');

export function renderRadiusFamilies(w: ExpositionWriter, s: CollectorSnapshot): void {
  const servers = s.radius?.servers;
  if (!servers) return;
  const labels = servers.map((x) => label('server', x.server));
  /** One family: per server, the values `read` gives under one more label (or none). */
  const perServer = (d: FamilyDescription, read: (x: RadiusServerStats) => Array<[string, number]>) => {
    w.family(d);
    servers.forEach((x, i) => {
      for (const [extra, v] of read(x)) w.sample(d.name, labels[i]! + extra, v);
    });
  };
  const by = (name: string, value: string) => `,${enumLabel(name, value)}`;

  perServer(F.lookups, (x) => [['', x.lookups]]);
  perServer(F.requestsSent, (x) => [['', x.requestsSent]]);
  perServer(F.accepts, (x) => RADIUS_ATTRIBUTE_STYLES.map((st) => [by('style', st), x.acceptsByStyle[st]]));
  perServer(F.lookupFailures, (x) => FAILURES.map((r) => [by('reason', r), x.results[r]]));
  perServer(F.failovers, (x) => [['', x.failovers]]);
  perServer(F.cacheHits, (x) => [
    [by('cached', 'accept'), x.cacheHits.accept],
    [by('cached', 'reject'), x.cacheHits.reject],
  ]);
}
