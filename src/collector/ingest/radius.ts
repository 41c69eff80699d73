/** Ingest of the RADIUS SA lookups: per configured server (src/collector/radius.ts); others are dropped. */
import type { PmipEvent } from '../../pmip/events.ts';
import type { IngestState } from './state.ts';
import type { IngestTable, Ingested } from './types.ts';

function perServer(s: IngestState, e: PmipEvent): Ingested {
  if (s.radius?.ingest(e, s.clock()) !== true) return false;
}

export const radiusIngest = {
  'radius-exchange': perServer,
  'radius-failover': perServer,
  'radius-cache-hit': perServer,
} satisfies Partial<IngestTable>;
