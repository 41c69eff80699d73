/** What the family table (table.ts) holds for each family, and how prom-client takes it. */
import type { MetricType } from '../serializer.ts';

export interface FamilyDescription {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  /** Label names in the order samples carry them; a histogram's `le` is not listed. */
  readonly labels: readonly string[];
}

const family =
  (type: MetricType) =>
  (name: string, labels: readonly string[], help: string): FamilyDescription => ({
    name,
    type,
    help,
    labels,
  });
export const counter = family('counter');
export const gauge = family('gauge');
export const histogram = family('histogram');

/** The options prom-client takes for a family of the table. */
export function promOptions<L extends string>(
  d: FamilyDescription,
): { name: string; help: string; labelNames: readonly L[] } {
  return { name: d.name, help: d.help, labelNames: d.labels as readonly L[] };
}
