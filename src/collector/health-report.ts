/**
 * The health report: every node's status from its recent outcomes (rules in health.ts), judged
 * over the history rings, and the last hour's site-wide charts (outcomes per minute, round trips).
 */
import { REGISTRATION_OUTCOME_KINDS, type RegistrationOutcomeKind } from '../pmip/events.ts';
import { OUTCOMES, Seen } from './counters.ts';
import { HEALTH_RULES, judgeHealth, type NodeHealth } from './health.ts';
import type { IngestState } from './ingest/state.ts';
import type { NodeGroup } from './node-group.ts';
import type { AgentRestart } from './restarts.ts';
import { ROUND_TRIP_BUCKETS } from './round-trip.ts';

/** Health of every node, for the overview page and /api/v1/health. */
export interface HealthReport {
  time: number;
  rules: typeof HEALTH_RULES;
  accessPoints: Array<NodeHealthRow>;
  homeAgents: Array<NodeHealthRow>;
  foreignAgents: Array<NodeHealthRow>;
  /** Site-wide outcomes per minute over the last hour, oldest first. */
  outcomesPerMinute: Array<{ time: number; counts: Record<RegistrationOutcomeKind, number> }>;
  /** Site-wide round-trip distribution over the last hour (non-cumulative bucket counts). */
  roundTripLastHour: { bounds: readonly number[]; counts: number[] };
  /** Agents that restarted in the fallback window (5 minutes), newest first. */
  agentRestarts: AgentRestartRow[];
}

/** A restart (see restarts.ts) with the agent's label value and role where the site knows it. */
export interface AgentRestartRow extends Omit<AgentRestart, 'role'> {
  /** The label value: the configured name, else the address. */
  name: string;
  /** From the advertisement (observed on the link), else from the site's agents; undefined: unknown. */
  role: 'home-agent' | 'foreign-agent' | undefined;
}

export interface NodeHealthRow extends NodeHealth {
  /** The label value (configured name, else the address or id). */
  name: string;
  /** Agents: the address; access points: the id. */
  address: string;
  /** ms since epoch of the last reply from this agent (agents only), null before one. */
  lastReplyAt: number | null;
}

interface Window {
  seconds: number;
  point: { values: readonly Float64Array[] } | undefined;
}

/** `gi`: the group's index in the history vector (0 access points, 1 home agents, 2 foreign agents seen). */
function rows(g: NodeGroup, gi: number, onlySeen: boolean, windows: readonly Window[]): NodeHealthRow[] {
  const { ids, slots } = g.registry.labels();
  const out: NodeHealthRow[] = [];
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i]!;
    if (onlySeen && !g.seen(s)) continue;
    let judged: NodeHealth | undefined;
    for (const w of windows) {
      const before = w.point?.values[gi];
      const delta = new Float64Array(OUTCOMES);
      for (let k = 0; k < OUTCOMES; k++)
        delta[k] = g.outcomes[s * OUTCOMES + k]! - (before?.[s * OUTCOMES + k] ?? 0);
      judged = judgeHealth(delta, w.seconds);
      if (judged.attempts > 0) break;
    }
    const lastReply = onlySeen ? g.counters[s * g.width + Seen.lastReplyAt]! : 0;
    out.push({
      ...judged!,
      name: ids[i]!,
      address: g.registry.addressOf(s),
      lastReplyAt: lastReply > 0 ? lastReply : null,
    });
  }
  return out;
}

/** Names a restart's agent from the agents the site knows, without admitting a new one. */
function restartRow(st: IngestState, r: AgentRestart): AgentRestartRow {
  const groups: Array<['home-agent' | 'foreign-agent', NodeGroup]> = [
    ['home-agent', st.haSeen],
    ['foreign-agent', st.faSeen],
  ];
  for (const [role, g] of groups) {
    if (r.role !== undefined && r.role !== role) continue;
    const slot = g.registry.find(r.agent);
    if (slot !== undefined) return { ...r, role, name: g.registry.nameOf(slot) };
  }
  return { ...r, name: r.agent };
}

function siteTotals(values: Float64Array): number[] {
  const t = new Array<number>(OUTCOMES).fill(0);
  for (let i = 0; i < values.length; i++) t[i % OUTCOMES]! += values[i]!;
  return t;
}

/** Records the history point due at `now` first, so the report covers up to this instant. */
export function healthReport(st: IngestState, now: number): HealthReport {
  st.recordHistory(now);
  const windows = [HEALTH_RULES.windowSeconds, HEALTH_RULES.fallbackWindowSeconds].map((w): Window => {
    const p = st.fine.at(now - w * 1000);
    return { seconds: p ? Math.max(1, Math.round((now - p.time) / 1000)) : 0, point: p };
  });
  const points = st.coarse.points();
  const outcomesPerMinute: HealthReport['outcomesPerMinute'] = [];
  const latest = st.historyVector();
  const series = [...points.map((p) => ({ time: p.time, values: p.values })), { time: now, values: latest }];
  for (let i = 1; i < series.length; i++) {
    const a = siteTotals(series[i - 1]!.values[0]!);
    const b = siteTotals(series[i]!.values[0]!);
    outcomesPerMinute.push({
      time: series[i]!.time,
      counts: Object.fromEntries(REGISTRATION_OUTCOME_KINDS.map((k, j) => [k, b[j]! - a[j]!])) as Record<
        RegistrationOutcomeKind,
        number
      >,
    });
  }
  const first = points[0]?.values[3];
  const rtNow = latest[3]!;
  return {
    time: now,
    rules: HEALTH_RULES,
    accessPoints: rows(st.ap, 0, false, windows),
    homeAgents: rows(st.haSeen, 1, true, windows),
    foreignAgents: rows(st.faSeen, 2, true, windows),
    outcomesPerMinute,
    roundTripLastHour: {
      bounds: ROUND_TRIP_BUCKETS,
      counts: Array.from(rtNow, (v, i) => v - (first?.[i] ?? 0)),
    },
    agentRestarts: st.restarts
      .since(now - HEALTH_RULES.fallbackWindowSeconds * 1000)
      .map((r) => restartRow(st, r)),
  };
}
