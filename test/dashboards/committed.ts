/** The committed dashboards (dashboards/*.json) as the tests read them. */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { DASHBOARDS, DASHBOARDS_DIR, SCHEMA_FILE } from '../../dashboards/src/generate.ts';

export { DASHBOARDS, DASHBOARDS_DIR, SCHEMA_FILE };

export function committedText(file: string): string {
  return readFileSync(join(DASHBOARDS_DIR, file), 'utf8');
}

/** Every dashboards/*.json except the schema, parsed. */
export function committedDashboards(): Array<{ file: string; dashboard: Dashboard }> {
  return readdirSync(DASHBOARDS_DIR)
    .filter((f) => f.endsWith('.json') && f !== SCHEMA_FILE)
    .sort()
    .map((file) => ({ file, dashboard: JSON.parse(committedText(file)) as Dashboard }));
}

/**
 * Series only an observed site (`pmip-exporter observe`) has: what the capture shows of the
 * agents on the link. A proxied site never has them, so the tests that scrape one skip the
 * expressions reading them; test/dashboards/queries.test.ts checks those against an observed site.
 */
const OBSERVED_ONLY = /pmip_(home|foreign)_agent_link_(advertisements|reboots_detected)_total/;

export function readsObservedOnly(expr: string): boolean {
  return OBSERVED_ONLY.test(expr);
}
