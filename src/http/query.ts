/**
 * Query parameters, the same way on every endpoint of both HTTP servers (the exporter's pages and
 * JSON API, the association API): a zod schema says which parameters an endpoint takes, and a
 * parameter it does not take, one given more than once, or a bad value is refused with 400 and
 * the reason naming the parameter.
 */
import { z } from 'zod';

/** A query the endpoint refuses; the message names the parameter and the rule. */
export class BadQueryError extends Error {
  override readonly name = 'BadQueryError';
}

/** The schema of an endpoint that takes no query parameters. */
export const noQueryParameters = z.object({}).strict();

/**
 * Parses `req.query` (express' "simple" query parser: a repeated name arrives as an array) with a
 * strict object schema. Throws BadQueryError: an unknown parameter first (`unknown query
 * parameter: colour`), then a repeated one (`state: given 2 times, at most once`), then the first
 * bad value (`limit: must be at least 1`).
 */
export function parseQuery<T>(schema: z.ZodType<T>, query: unknown): T {
  const input = query ?? {};
  const result = schema.safeParse(input);
  const issues = result.success ? [] : result.error.issues;
  const unknown = issues.find((i) => i.code === 'unrecognized_keys');
  if (unknown) throw new BadQueryError(`unknown query parameter: ${unknown.keys.join(', ')}`);
  if (typeof input === 'object')
    for (const [name, value] of Object.entries(input))
      if (Array.isArray(value)) throw new BadQueryError(`${name}: given ${value.length} times, at most once`);
  if (result.success) return result.data;
  const issue = issues[0]!;
  throw new BadQueryError(`${issue.path.map(String).join('.') || 'query'}: ${issue.message}`);
}
