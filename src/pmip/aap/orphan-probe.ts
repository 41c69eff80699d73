import type { Scheduler, TimerHandle } from '../runtime/scheduler.ts';
import { prefixMask, uint32ToIpv4 } from '../wire/ipv4.ts';
import type { AccessPointRegistry } from './access-point-registry.ts';
import type { HomeAgentProber, ProbedRow } from './home-agent-prober.ts';
import type { StampedTable } from './stamped-table.ts';

export interface OrphanProbeCounts {
  probesAnswered: number;
  probesTimedOut: number;
}

export interface OrphanProbeParts {
  rows: StampedTable;
  registry: AccessPointRegistry;
  scheduler: Scheduler;
  /** A row without APs whose home agent answered is probed again after this long. */
  probeIntervalMs: number;
  /** Announces and distributes what changed (the server's flush). */
  flush: () => void;
}

interface Orphan {
  timer: TimerHandle | undefined;
}

/**
 * Rows whose subnet has none of this AAP's APs left ("orphans"): their home agent is probed
 * (home-agent-prober.ts). One that answers keeps its row and is probed again later; silence
 * removes the row, like any change decided here.
 */
export class OrphanProbe {
  readonly counts: OrphanProbeCounts = { probesAnswered: 0, probesTimedOut: 0 };
  private readonly orphans = new Map<number, Orphan>();
  private prober: HomeAgentProber | undefined;
  private stopped = false;

  constructor(private readonly parts: OrphanProbeParts) {}

  /** The prober to use (bound at start); without one nothing is probed. */
  attach(prober: HomeAgentProber): void {
    this.prober = prober;
  }

  /** Starts probing a row's home agent when none of our APs is left in its subnet. */
  check(key: number): void {
    if (this.stopped || this.parts.registry.hasApsIn(key) || this.orphans.has(key)) return;
    const m = this.parts.rows.record(key);
    if (!m || m.deleted) return;
    const orphan: Orphan = { timer: undefined };
    this.orphans.set(key, orphan);
    void this.probe(key, orphan);
  }

  /** An AP lives in this subnet again: no probing. */
  cancel(key: number): void {
    this.orphans.get(key)?.timer?.cancel();
    this.orphans.delete(key);
  }

  stop(): void {
    this.stopped = true;
    for (const o of this.orphans.values()) o.timer?.cancel();
    this.orphans.clear();
  }

  private async probe(key: number, orphan: Orphan): Promise<void> {
    const { rows, scheduler } = this.parts;
    const m = rows.record(key);
    if (!this.prober || this.stopped || this.orphans.get(key) !== orphan || !m || m.deleted) {
      if (this.orphans.get(key) === orphan) this.orphans.delete(key);
      return;
    }
    const row: ProbedRow = {
      homeAgent: uint32ToIpv4(m.homeAgent),
      mask: uint32ToIpv4(prefixMask(m.prefixLength)),
      prefixLength: m.prefixLength,
      network: uint32ToIpv4(m.network),
    };
    const outcome = await this.prober.probe(row);
    if (this.stopped || this.orphans.get(key) !== orphan) return;
    const now = rows.record(key);
    if (!now || now.deleted || now.homeAgent !== m.homeAgent) {
      this.orphans.delete(key);
      return;
    }
    if (outcome === 'answered') {
      this.counts.probesAnswered++;
      rows.table.upsertUint32(m.homeAgent, m.prefixLength, 'aap', scheduler.now());
      orphan.timer = scheduler.after(this.parts.probeIntervalMs, () => void this.probe(key, orphan));
      return;
    }
    this.counts.probesTimedOut++;
    this.orphans.delete(key);
    rows.applyLocal(m.homeAgent, m.prefixLength, true, 'aap');
    this.parts.flush();
  }
}
