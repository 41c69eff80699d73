/**
 * One side's counters (access points, home agents, foreign agents, or agents as the access points
 * see them): `width` counter columns per node slot (layouts in counters.ts), per-code denial rows,
 * and the outcome block the history copies.
 */
import { OUTCOMES } from './counters.ts';
import type { NodeRegistry } from './config.ts';
import type { NodeGroupSnapshot } from './snapshot.ts';

export class NodeGroup {
  readonly counters: Float64Array;
  readonly codes: Array<Float64Array | undefined>;
  /** Concluded attempts per slot and outcome (OUTCOMES columns): the history copies these. */
  readonly outcomes: Float64Array;

  constructor(
    readonly registry: NodeRegistry,
    readonly width: number,
    /** Agent groups: columns below this are the agent's own (an unhosted agent with any is shown). */
    private readonly ownColumns = width,
  ) {
    this.counters = new Float64Array(registry.capacity * width);
    this.codes = new Array<Float64Array | undefined>(registry.capacity).fill(undefined);
    this.outcomes = new Float64Array(registry.capacity * OUTCOMES);
  }

  /** `hostedOnly`: agent-side groups show hosted agents and any other that reported agent-side counters. */
  snapshot(hostedOnly = false): NodeGroupSnapshot {
    let { ids, slots } = this.registry.labels();
    if (hostedOnly) {
      const keep = slots
        .map((s, i) => [s, i] as const)
        .filter(
          ([s]) => this.registry.isHosted(s) || anyNonZero(this.counters, s * this.width, this.ownColumns),
        );
      ids = keep.map(([, i]) => ids[i]!);
      slots = keep.map(([s]) => s);
    }
    return {
      ids,
      slots,
      width: this.width,
      counters: this.counters.slice(),
      codes: this.codes.map((c) => c?.slice()),
      outcomes: this.outcomes.slice(),
    };
  }

  name(slot: number): string {
    return this.registry.nameOf(slot);
  }

  /** Configured, or seen with any counter or outcome: what the agents-seen views and health list. */
  seen(slot: number): boolean {
    return (
      slot < this.registry.configuredCount ||
      anyNonZero(this.counters, slot * this.width, this.width) ||
      sumOutcomes(this.outcomes, slot) > 0
    );
  }
}

export function anyNonZero(a: Float64Array, from: number, n: number): boolean {
  for (let i = from; i < from + n; i++) if (a[i] !== 0) return true;
  return false;
}

export function sumOutcomes(outcomes: Float64Array, slot: number): number {
  let t = 0;
  for (let k = 0; k < OUTCOMES; k++) t += outcomes[slot * OUTCOMES + k]!;
  return t;
}
