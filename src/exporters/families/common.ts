/** Helpers shared by the metric-family renderers: per-node samples read from a snapshot. */
import type { NodeGroupSnapshot } from '../../collector/snapshot.ts';
import { replyCode } from '../../pmip/wire/reply-codes.ts';
import type { ExpositionWriter } from '../serializer.ts';
import { label } from '../serializer.ts';

/** Codes whose denial series exist at 0 from start-up: home agent 128-139, foreign agent 64-82. */
export const HOME_AGENT_ALERT_CODES: readonly number[] = range(128, 139);
export const FOREIGN_AGENT_ALERT_CODES: readonly number[] = range(64, 82);

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** Pre-rendered `name="id"` per node of a group, parallel to `g.ids`. */
export function nodeLabels(g: NodeGroupSnapshot, name: string): string[] {
  return g.ids.map((id) => label(name, id));
}

/** One sample per node: column `column` of each node's counters. */
export function perNode(
  w: ExpositionWriter,
  g: NodeGroupSnapshot,
  labels: string[],
  name: string,
  column: number,
): void {
  for (let i = 0; i < g.slots.length; i++)
    w.sample(name, labels[i]!, g.counters[g.slots[i]! * g.width + column]!);
}

/** Per node and per value of one more label, reading consecutive columns from `firstColumn`. */
export function perNodeBy(
  w: ExpositionWriter,
  g: NodeGroupSnapshot,
  labels: string[],
  name: string,
  labelName: string,
  values: readonly string[],
  firstColumn: number,
): void {
  const extra = values.map((v) => `,${label(labelName, v)}`);
  for (let i = 0; i < g.slots.length; i++) {
    const base = g.slots[i]! * g.width + firstColumn;
    for (let v = 0; v < values.length; v++) w.sample(name, labels[i]! + extra[v]!, g.counters[base + v]!);
  }
}

/** Codes to show for a per-code denial family: the alert codes always, any other once non-zero. */
export function codesToShow(
  alertCodes: readonly number[],
  counts: ReadonlyArray<Float64Array | undefined>,
): number[] {
  const shown = new Set(alertCodes);
  for (const row of counts) {
    if (row === undefined) continue;
    for (let code = 0; code < 256; code++) if (row[code]! > 0) shown.add(code);
  }
  return [...shown].sort((a, b) => a - b);
}

/** `code="133",reason="ha_identification_mismatch"` from the codec's reply-code table. */
export function codeLabels(code: number): string {
  return `${label('code', String(code))},${label('reason', replyCode(code).reason)}`;
}

/** Per node and per code, for the agents' own denials. */
export function perNodeByCode(
  w: ExpositionWriter,
  g: NodeGroupSnapshot,
  labels: string[],
  name: string,
  alertCodes: readonly number[],
): void {
  const codes = codesToShow(
    alertCodes,
    g.slots.map((s) => g.codes[s]),
  );
  const codeText = codes.map((c) => `,${codeLabels(c)}`);
  for (let i = 0; i < g.slots.length; i++) {
    const row = g.codes[g.slots[i]!];
    for (let k = 0; k < codes.length; k++) w.sample(name, labels[i]! + codeText[k]!, row?.[codes[k]!] ?? 0);
  }
}
