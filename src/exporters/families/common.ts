/** Helpers shared by the metric-family renderers: per-node samples read from a snapshot. */
import type { NodeGroupSnapshot } from '../../collector/snapshot.ts';
import { OUTCOMES } from '../../collector/counters.ts';
import { replyCode } from '../../collector/vocabulary.ts';
import type { ExpositionWriter } from '../serializer.ts';
import { label } from '../serializer.ts';
import type { FamilyDescription } from './table.ts';

/** Codes whose denial series exist at 0 from start-up: home agent 128-139, foreign agent 64-82. */
export const HOME_AGENT_ALERT_CODES: readonly number[] = range(128, 139);
export const FOREIGN_AGENT_ALERT_CODES: readonly number[] = range(64, 82);

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/**
 * `name="value"` for a value from a fixed enumeration of the engine contract (kind, outcome,
 * issuer, reason, ...): one style for every such label value, snake_case. Node ids are never
 * rewritten: they are the operator's names.
 */
export function enumLabel(name: string, value: string): string {
  return label(name, snake(value));
}

export function snake(value: string): string {
  return value.replaceAll('-', '_');
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

/** A family of one sample without labels. */
export function single(w: ExpositionWriter, d: FamilyDescription, value: number): void {
  w.family(d);
  w.sample(d.name, '', value);
}

/** A family of one sample per node: its HELP and TYPE, then column `column` of each node. */
export function perNodeFamily(
  w: ExpositionWriter,
  g: NodeGroupSnapshot,
  labels: string[],
  d: FamilyDescription,
  column: number,
): void {
  w.family(d);
  perNode(w, g, labels, d.name, column);
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
  const extra = values.map((v) => `,${enumLabel(labelName, v)}`);
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

/** Per node and per outcome (the outcome block of the snapshot), from `firstOutcome` on. */
export function perNodeOutcome(
  w: ExpositionWriter,
  g: NodeGroupSnapshot,
  labels: string[],
  name: string,
  outcomes: readonly string[],
  firstOutcome: number,
): void {
  const extra = outcomes.map((v) => `,${enumLabel('outcome', v)}`);
  for (let i = 0; i < g.slots.length; i++) {
    const base = g.slots[i]! * OUTCOMES + firstOutcome;
    for (let v = 0; v < outcomes.length; v++) w.sample(name, labels[i]! + extra[v]!, g.outcomes[base + v]!);
  }
}

/** Per node: the sum of its outcome block (concluded attempts). */
export function perNodeAttempts(
  w: ExpositionWriter,
  g: NodeGroupSnapshot,
  labels: string[],
  name: string,
): void {
  for (let i = 0; i < g.slots.length; i++) {
    const base = g.slots[i]! * OUTCOMES;
    let t = 0;
    for (let v = 0; v < OUTCOMES; v++) t += g.outcomes[base + v]!;
    w.sample(name, labels[i]!, t);
  }
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
