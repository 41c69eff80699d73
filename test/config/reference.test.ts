/**
 * docs/configuration.md against the schema: every field path the zod schema has is a row of the
 * reference with its type and default, and the reference names no field the schema lacks (not in
 * its tables, not in its prose).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { siteSchema } from '../../src/config/schema.ts';
import { schemaFields, type SchemaField } from './schema-paths.ts';

const repoRoot = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const doc = readFileSync(path.join(repoRoot, 'docs/configuration.md'), 'utf8');
const fields = schemaFields(siteSchema);
const byPath = new Map(fields.map((f) => [f.path, f]));
const TOP_LEVEL = new Set(
  fields.filter((f) => !f.path.includes('.') && !f.path.includes('[')).map((f) => f.path),
);
const FIELD_PATH = /^[A-Za-z]+(\[\d*\])?(\.[A-Za-z]+(\[\d*\])?)*$/;

interface Row {
  path: string;
  type: string;
  default: string;
}

/** Table rows whose first cell is a backticked field path. */
function referenceRows(): Row[] {
  const rows: Row[] = [];
  for (const line of doc.split('\n')) {
    const m = /^\| `([^`]+)` \|(.*)\|\s*$/.exec(line);
    if (!m || !FIELD_PATH.test(m[1]!)) continue;
    // Cells are split on unescaped pipes (`\|` separates enum values inside a cell).
    const cells = m[2]!.split(/(?<!\\)\|/).map((c) => c.trim());
    rows.push({ path: m[1]!, type: cells[0] ?? '', default: cells[1] ?? '' });
  }
  return rows;
}

function documentedType(f: SchemaField): string[] {
  if (f.type.includes('"'))
    return [[...f.type.matchAll(/"([^"]+)"/g)].map((m) => `\`${m[1]}\``).join(' \\| ')];
  switch (f.type) {
    case 'string':
      return ['string', 'IPv4', 'CIDR', 'endpoint', 'HOST:PORT'];
    case 'list of object':
      return ['list of objects'];
    case 'list of integer':
      return ['list of integers'];
    case 'list of string':
      return ['list of strings', 'list of endpoints'];
    default:
      return [f.type];
  }
}

function documentedDefault(f: SchemaField): string | undefined {
  if (f.type === 'object') return undefined; // a container: its fields carry the defaults
  if ('default' in f) return `\`${typeof f.default === 'string' ? f.default : JSON.stringify(f.default)}\``;
  return f.optional ? 'optional' : 'required';
}

describe('docs/configuration.md', () => {
  const rows = referenceRows();

  it('walks the schema (sanity check of the walker)', () => {
    expect(fields.length).toBeGreaterThan(60);
    expect(byPath.get('accessPoints[].ssids[].vlan')).toEqual({
      path: 'accessPoints[].ssids[].vlan',
      type: 'integer',
      optional: true,
    });
    expect(byPath.get('associations.http.listen')).toMatchObject({
      type: 'string',
      default: '127.0.0.1:9435',
    });
  });

  it('documents every field of the schema, once', () => {
    const documented = rows.map((r) => r.path);
    expect(fields.map((f) => f.path).filter((p) => !documented.includes(p))).toEqual([]);
    expect(documented.filter((p, i) => documented.indexOf(p) !== i)).toEqual([]);
  });

  it('documents no field the schema lacks', () => {
    expect(rows.map((r) => r.path).filter((p) => !byPath.has(p))).toEqual([]);
    // Field paths in the prose and the other tables too (indices such as [0] stand for []).
    const mentioned = [...doc.matchAll(/`([^`\s]+)`/g)]
      .map((m) => m[1]!)
      .filter((t) => FIELD_PATH.test(t) && TOP_LEVEL.has(t.split(/[.[]/)[0]!) && /[.[]/.test(t))
      .map((t) => t.replace(/\[\d*\]/g, '[]'));
    expect(mentioned.length).toBeGreaterThan(10);
    expect([...new Set(mentioned.filter((p) => !byPath.has(p)))]).toEqual([]);
  });

  it("states each field's type and default as the schema has them", () => {
    const wrong: string[] = [];
    for (const f of fields) {
      const row = rows.find((r) => r.path === f.path);
      if (!row) continue;
      if (!documentedType(f).includes(row.type))
        wrong.push(`${f.path}: type "${row.type}", schema ${f.type}`);
      const d = documentedDefault(f);
      if (d !== undefined && row.default !== d)
        wrong.push(`${f.path}: default "${row.default}", schema ${d}`);
    }
    expect(wrong).toEqual([]);
  });
});
