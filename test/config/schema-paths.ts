/**
 * Walks the zod site schema: every field path (`accessPoints[].ssids[].name`), with what the
 * configuration reference documents for it (type, default). Used by reference.test.ts.
 */
import { z } from 'zod';

export interface SchemaField {
  /** Dotted path; `[]` marks the elements of a list. */
  path: string;
  /** The innermost schema (optional and default unwrapped). */
  type: string;
  optional: boolean;
  /** The default value when the schema has one. */
  default?: unknown;
}

function unwrap(schema: z.ZodType): {
  inner: z.ZodType;
  optional: boolean;
  default?: unknown;
  hasDefault: boolean;
} {
  let inner: z.ZodType = schema;
  let optional = false;
  let hasDefault = false;
  let value: unknown;
  for (;;) {
    if (inner instanceof z.ZodOptional) {
      optional = true;
      inner = inner.unwrap() as z.ZodType;
    } else if (inner instanceof z.ZodDefault) {
      hasDefault = true;
      value = inner.def.defaultValue;
      inner = inner.unwrap() as z.ZodType;
    } else return { inner, optional, hasDefault, ...(hasDefault ? { default: value } : {}) };
  }
}

function typeName(schema: z.ZodType): string {
  if (schema instanceof z.ZodObject) return 'object';
  if (schema instanceof z.ZodArray) return `list of ${typeName(unwrap(schema.element as z.ZodType).inner)}`;
  if (schema instanceof z.ZodEnum) return schema.options.map((o) => JSON.stringify(o)).join(' | ');
  if (schema instanceof z.ZodNumber)
    return schema.format === 'safeint' || schema.isInt ? 'integer' : 'number';
  if (schema instanceof z.ZodString) return 'string';
  if (schema instanceof z.ZodBoolean) return 'boolean';
  return schema.def.type;
}

export function schemaFields(schema: z.ZodType, prefix = ''): SchemaField[] {
  const out: SchemaField[] = [];
  const { inner } = unwrap(schema);
  if (inner instanceof z.ZodObject) {
    for (const [key, child] of Object.entries(inner.shape as Record<string, z.ZodType>)) {
      const path = prefix ? `${prefix}.${key}` : key;
      const u = unwrap(child);
      out.push({
        path,
        type: typeName(u.inner),
        optional: u.optional,
        ...(u.hasDefault ? { default: u.default } : {}),
      });
      out.push(...schemaFields(child, path));
    }
  } else if (inner instanceof z.ZodArray) {
    out.push(...schemaFields(inner.element as z.ZodType, `${prefix}[]`));
  }
  return out;
}
