/** Ingest of the RADIUS SA lookups: per configured server (src/collector/radius.ts); others are dropped. */
import { usedIf, type IngestTable } from './types.ts';

export const radiusIngest = {
  'radius-exchange': (s, e) => usedIf(s.radius?.exchange(e, s.clock()) === true),
  'radius-failover': (s, e) => usedIf(s.radius?.failover(e) === true),
  'radius-cache-hit': (s, e) => usedIf(s.radius?.cacheHit(e) === true),
} satisfies Partial<IngestTable>;
