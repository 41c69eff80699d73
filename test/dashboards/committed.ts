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
