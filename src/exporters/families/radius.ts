/**
 * The RADIUS SA lookup families, by server: present only when RADIUS servers are configured (the
 * snapshot has `radius`), every series at 0 from start-up. Label values are the configured server
 * names. No family carries a key, a secret or a password: the snapshot has none.
 */
import type { CollectorSnapshot } from '../../collector/snapshot.ts';
import { RADIUS_EXCHANGE_RESULTS } from '../../collector/vocabulary.ts';
import { label, type ExpositionWriter } from '../serializer.ts';
import { enumLabel } from './common.ts';

const FAILURES = RADIUS_EXCHANGE_RESULTS.filter((r) => r !== 'accept');

export function renderRadiusFamilies(w: ExpositionWriter, s: CollectorSnapshot): void {
  const servers = s.radius?.servers;
  if (!servers) return;
  const labels = servers.map((x) => label('server', x.server));

  w.family(
    'pmip_radius_lookups_total',
    'counter',
    'SA lookups sent to the RADIUS server: one Access-Request exchange each, retransmissions not counted again.',
  );
  servers.forEach((x, i) => w.sample('pmip_radius_lookups_total', labels[i]!, x.lookups));

  w.family(
    'pmip_radius_requests_sent_total',
    'counter',
    'Access-Requests sent to the RADIUS server, retransmissions included.',
  );
  servers.forEach((x, i) => w.sample('pmip_radius_requests_sent_total', labels[i]!, x.requestsSent));

  w.family(
    'pmip_radius_accepts_total',
    'counter',
    'Lookups the RADIUS server answered with an Access-Accept that carried a usable SA, by attribute style (cisco av-pair, 3gpp2).',
  );
  servers.forEach((x, i) => {
    w.sample(
      'pmip_radius_accepts_total',
      `${labels[i]!},${enumLabel('style', 'cisco')}`,
      x.acceptsByStyle.cisco,
    );
    w.sample(
      'pmip_radius_accepts_total',
      `${labels[i]!},${enumLabel('style', '3gpp2')}`,
      x.acceptsByStyle['3gpp2'],
    );
  });

  w.family(
    'pmip_radius_lookup_failures_total',
    'counter',
    'Lookups that gave no SA, by reason: reject (Access-Reject), timeout (no answer after the retries), malformed (an Access-Accept without a usable SA, or an unreadable answer), bad_authenticator (the Response Authenticator or Message-Authenticator check failed: shared secret).',
  );
  servers.forEach((x, i) => {
    for (const r of FAILURES)
      w.sample('pmip_radius_lookup_failures_total', `${labels[i]!},${enumLabel('reason', r)}`, x.results[r]);
  });

  w.family(
    'pmip_radius_failovers_total',
    'counter',
    'Times the next RADIUS server was asked after this one timed out or failed the authenticator check.',
  );
  servers.forEach((x, i) => w.sample('pmip_radius_failovers_total', labels[i]!, x.failovers));

  w.family(
    'pmip_radius_cache_hits_total',
    'counter',
    'SA lookups answered from the cache, by the cached answer: accept (an SA) or reject (negative cache).',
  );
  servers.forEach((x, i) => {
    w.sample(
      'pmip_radius_cache_hits_total',
      `${labels[i]!},${enumLabel('cached', 'accept')}`,
      x.cacheHits.accept,
    );
    w.sample(
      'pmip_radius_cache_hits_total',
      `${labels[i]!},${enumLabel('cached', 'reject')}`,
      x.cacheHits.reject,
    );
  });
}
