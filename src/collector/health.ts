/**
 * Health of one access point, home agent or foreign agent from its recent outcomes (the health
 * overview and `/api/v1/health`). Pure: outcome counts of a window in, a status and its cause out.
 *
 * Rules (docs/pages.md):
 * - the window is the last 30 s; when no attempt concluded in it, the last 5 minutes;
 * - idle: no attempt concluded in 5 minutes;
 * - down: attempts concluded, none accepted, and at least one timed out (no reply at all: the
 *   node is unreachable, or everything behind it is);
 * - degraded: fewer than 90 % of the attempts accepted, the rest answered (denied,
 *   unauthenticated, discarded) or only partly timing out: one wrong-key client on a quiet home
 *   agent that answers it is degraded, not down;
 * - ok: at least 90 % accepted.
 */
import { REGISTRATION_OUTCOME_KINDS } from '../pmip/events.ts';
import type { RegistrationOutcomeKind } from '../pmip/events.ts';

export type HealthStatus = 'ok' | 'degraded' | 'down' | 'idle';

export const HEALTH_RULES = {
  windowSeconds: 30,
  fallbackWindowSeconds: 300,
  okRatio: 0.9,
} as const;

export interface NodeHealth {
  status: HealthStatus;
  /** The window the figures cover, seconds (shorter at start-up). */
  windowSeconds: number;
  attempts: number;
  outcomes: Record<RegistrationOutcomeKind, number>;
  /** accepted / attempts in the window; null when there were none. */
  acceptanceRatio: number | null;
  /** The failure outcomes of the window, most frequent first, in words ("12 timeouts of 14"). */
  failures: string[];
}

const FAILURE_WORDS: Record<Exclude<RegistrationOutcomeKind, 'accepted'>, [string, string]> = {
  denied: ['denial', 'denials'],
  timeout: ['timeout (no reply)', 'timeouts (no reply)'],
  unauthenticated: ['reply that failed authentication', 'replies that failed authentication'],
  discarded: ['discarded attempt', 'discarded attempts'],
};

/** Status from the outcome counts of a window (`counts[i]` for REGISTRATION_OUTCOME_KINDS[i]). */
export function judgeHealth(counts: ArrayLike<number>, windowSeconds: number): NodeHealth {
  const outcomes = Object.fromEntries(
    REGISTRATION_OUTCOME_KINDS.map((k, i) => [k, counts[i] ?? 0]),
  ) as Record<RegistrationOutcomeKind, number>;
  let attempts = 0;
  for (const k of REGISTRATION_OUTCOME_KINDS) attempts += outcomes[k];
  const accepted = outcomes.accepted;
  const ratio = attempts > 0 ? accepted / attempts : null;
  const status: HealthStatus =
    ratio === null
      ? 'idle'
      : accepted === 0 && outcomes.timeout > 0
        ? 'down'
        : ratio < HEALTH_RULES.okRatio
          ? 'degraded'
          : 'ok';
  const failures = (Object.keys(FAILURE_WORDS) as Array<keyof typeof FAILURE_WORDS>)
    .filter((k) => outcomes[k] > 0)
    .sort((a, b) => outcomes[b] - outcomes[a])
    .map((k) => `${outcomes[k]} ${FAILURE_WORDS[k][outcomes[k] === 1 ? 0 : 1]} of ${attempts}`);
  return { status, windowSeconds, attempts, outcomes, acceptanceRatio: ratio, failures };
}
