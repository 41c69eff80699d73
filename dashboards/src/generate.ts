/**
 * `npm run dashboards`: writes the committed files of dashboards/ from their generators, the
 * dashboards (dashboards/*.json, one per entry of DASHBOARDS) and the JSON schema they are
 * checked against (dashboards/dashboard.schema.json). test/dashboards/drift.test.ts fails when a
 * committed file differs from what this writes.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { pmipAccessPoint } from './access-point.ts';
import { defaultConfig, type DashboardsConfig } from './config.ts';
import { pmipFleet } from './fleet.ts';
import { pmipOverview } from './overview.ts';
import { dashboardSchema } from './schema.ts';

export const DASHBOARDS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
export const SCHEMA_FILE = 'dashboard.schema.json';

/** File name -> dashboard. */
export const DASHBOARDS: Readonly<Record<string, (config: DashboardsConfig) => dashboard.DashboardBuilder>> =
  {
    'pmip-overview.json': pmipOverview,
    'pmip-access-point.json': pmipAccessPoint,
    'pmip-fleet.json': pmipFleet,
  };

/** The text of a generated JSON file: two-space indentation and a final newline. */
export function jsonFile(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export function renderDashboards(config: DashboardsConfig = defaultConfig): Record<string, string> {
  return Object.fromEntries(
    Object.entries(DASHBOARDS).map(([file, make]) => [file, jsonFile(make(config).build())]),
  );
}

export function renderSchema(): string {
  return jsonFile(dashboardSchema());
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const files = { ...renderDashboards(), [SCHEMA_FILE]: renderSchema() };
  for (const [file, text] of Object.entries(files)) {
    writeFileSync(join(DASHBOARDS_DIR, file), text);
    console.log(`wrote dashboards/${file}`);
  }
}
