import { AapCodecError } from './error.ts';
import { MAX_CHUNKS } from './fields.ts';
import type { AapOps, AapRow, AapRowOp, AapRows } from './messages.ts';

/** Rows and update operations between objects and columns, and split into chunks. */

export function emptyRows(n: number): AapRows {
  return { homeAgents: new Uint32Array(n), prefixLengths: new Uint8Array(n) };
}

export function emptyOps(n: number): AapOps {
  return { ...emptyRows(n), removes: new Uint8Array(n) };
}

export function rowsFrom(rows: readonly AapRow[]): AapRows {
  const out = emptyRows(rows.length);
  rows.forEach((r, i) => {
    out.homeAgents[i] = r.homeAgent;
    out.prefixLengths[i] = r.prefixLength;
  });
  return out;
}

export function rowsToArray(rows: AapRows): AapRow[] {
  return Array.from(rows.homeAgents, (homeAgent, i) => ({ homeAgent, prefixLength: rows.prefixLengths[i]! }));
}

export function opsFrom(ops: readonly AapRowOp[]): AapOps {
  const out = emptyOps(ops.length);
  ops.forEach((o, i) => {
    out.homeAgents[i] = o.homeAgent;
    out.prefixLengths[i] = o.prefixLength;
    out.removes[i] = o.op === 'remove' ? 1 : 0;
  });
  return out;
}

export function opsToArray(ops: AapOps): AapRowOp[] {
  return Array.from(ops.homeAgents, (homeAgent, i) => ({
    op: ops.removes[i] === 1 ? ('remove' as const) : ('upsert' as const),
    homeAgent,
    prefixLength: ops.prefixLengths[i]!,
  }));
}

/** Rows [start, end) as views (no copy). */
export function sliceRows(rows: AapRows, start: number, end: number): AapRows {
  return {
    homeAgents: rows.homeAgents.subarray(start, end),
    prefixLengths: rows.prefixLengths.subarray(start, end),
  };
}

export function sliceOps(ops: AapOps, start: number, end: number): AapOps {
  return { ...sliceRows(ops, start, end), removes: ops.removes.subarray(start, end) };
}

/** Splits columns into chunks of at most `perChunk` rows (one empty chunk for no rows). */
export function chunkColumns<T extends AapRows>(
  rows: T,
  perChunk: number,
  slice: (rows: T, start: number, end: number) => T,
): T[] {
  const n = rows.homeAgents.length;
  if (n === 0) return [rows];
  const out: T[] = [];
  for (let i = 0; i < n; i += perChunk) out.push(slice(rows, i, Math.min(n, i + perChunk)));
  if (out.length > MAX_CHUNKS)
    throw new AapCodecError('bad-value', `${n} rows need more than ${MAX_CHUNKS} chunks`);
  return out;
}

/** Splits rows into chunks of at most `perChunk` (one empty chunk for no rows). */
export function splitIntoChunks<T>(rows: readonly T[], perChunk: number): T[][] {
  if (rows.length === 0) return [[]];
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += perChunk) out.push(rows.slice(i, i + perChunk));
  if (out.length > MAX_CHUNKS)
    throw new AapCodecError('bad-value', `${rows.length} rows need more than ${MAX_CHUNKS} chunks`);
  return out;
}
