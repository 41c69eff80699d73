/**
 * Structure: every committed dashboard is valid against dashboards/dashboard.schema.json, the JSON
 * schema made from the foundation SDK's TypeScript `Dashboard` type (dashboards/src/schema.ts),
 * checked with ajv in strict mode; and the schema refuses what the SDK's types refuse.
 */
import { Ajv } from 'ajv';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { describe, expect, it } from 'vitest';
import { SCHEMA_FILE, committedDashboards, committedText } from './committed.ts';
import { panelsOf, targetsOf } from './lint.ts';

// allowUnionTypes: the SDK has union-typed fields (e.g. `insertNulls: boolean | number`).
const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const validate = ajv.compile(JSON.parse(committedText(SCHEMA_FILE)) as object);
const dashboards = committedDashboards();

const errorsOf = (d: unknown): string[] =>
  validate(d) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);

describe('the dashboards against the schema of the SDK Dashboard type', () => {
  for (const { file, dashboard } of dashboards) {
    it(`${file} is valid`, () => {
      expect(errorsOf(dashboard)).toEqual([]);
    });
  }

  const overview = dashboards.find((d) => d.file === 'pmip-overview.json')!.dashboard;
  const refused: Array<[string, (d: Dashboard & Record<string, unknown>) => void]> = [
    [
      'a field the Dashboard type does not have',
      (d) => {
        d['refreshInterval'] = '30s';
      },
    ],
    [
      'a Prometheus target without expr',
      (d) => {
        delete (targetsOf(panelsOf(d)[0]!)[0] as { expr?: string }).expr;
      },
    ],
    [
      'a misspelt target field',
      (d) => {
        Object.assign(targetsOf(panelsOf(d)[0]!)[0]!, { legend: '{{kind}}' });
      },
    ],
    [
      'a stat option outside its enum',
      (d) => {
        Object.assign(panelsOf(d).find((p) => p.type === 'stat')!.options as object, {
          graphMode: 'sparkline',
        });
      },
    ],
    [
      'a time series field config of the wrong type',
      (d) => {
        const p = panelsOf(d).find((x) => x.type === 'timeseries')!;
        Object.assign(p.fieldConfig!.defaults.custom as object, { lineWidth: 'thin' });
      },
    ],
    [
      'a panel without a type',
      (d) => {
        delete (panelsOf(d)[0] as { type?: string }).type;
      },
    ],
    [
      'a variable refresh outside its enum',
      (d) => {
        Object.assign(d.templating.list![1]!, { refresh: 7 });
      },
    ],
  ];
  for (const [what, mutate] of refused) {
    it(`refuses ${what}`, () => {
      const d = structuredClone(overview) as Dashboard & Record<string, unknown>;
      mutate(d);
      expect(errorsOf(d).length).toBeGreaterThan(0);
    });
  }
});
