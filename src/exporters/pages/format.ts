/**
 * Words and numbers as every page writes them: agents as "name (address)", times as "12 s ago",
 * clock offsets as "+3 h 0 min 2 s", ratios as "92.9 %", statuses as a coloured word.
 */
import type { SafeHtml } from './html.ts';
import { html } from './html.ts';

/** An agent as every page names it: "name (address)", or the address alone when it has no name. */
export function agentName(name: string | null | undefined, address: string | null | undefined): string {
  if (address === null || address === undefined || address === '') return name ?? '—';
  if (name === null || name === undefined || name === '' || name === address) return address;
  return `${name} (${address})`;
}

/** A duration in words, coarse: "12 s", "4 min 5 s", "3 h 12 min", "2 d 3 h". */
export function formatSpan(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 === 0 ? `${m} min` : `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`;
  const d = Math.floor(h / 24);
  return h % 24 === 0 ? `${d} d` : `${d} d ${h % 24} h`;
}

/** "12 s ago"; the time itself when it lies ahead of `now` (another clock); "—" for null. */
export function formatAgo(ms: number | null, now: number): string {
  if (ms === null) return '—';
  const d = now - ms;
  if (d < -1000) return new Date(ms).toISOString().replace('.000Z', 'Z');
  if (d < 1000) return 'just now';
  return `${formatSpan(d / 1000)} ago`;
}

/** The time of day in UTC, "08:01:02 UTC". */
export function formatClock(ms: number): string {
  return `${new Date(ms).toISOString().slice(11, 19)} UTC`;
}

/** A clock offset, signed, every unit down to seconds: "+3 h 0 min 2 s", "-4 min 10 s", "+2.5 s". */
export function formatOffset(seconds: number): string {
  const sign = seconds < 0 ? '-' : '+';
  const a = Math.abs(seconds);
  if (a < 10) return `${sign}${Math.round(a * 10) / 10} s`;
  const s = Math.round(a);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  if (h > 0) return `${sign}${h} h ${m} min ${r} s`;
  return `${sign}${m} min ${r} s`;
}

/** An offset's size in round words for a sentence: "3 h", "4 min", "12 s". */
export function roughSpan(seconds: number): string {
  const a = Math.abs(seconds);
  if (a < 10) return `${Math.round(a * 10) / 10} s`;
  if (a < 90) return `${Math.round(a)} s`;
  if (a < 5400) return `${Math.round(a / 60)} min`;
  const h = Math.round((a / 3600) * 10) / 10;
  return `${h} h`;
}

/** A ratio as a percentage with one decimal ("92.9 %"), "—" for null. */
export function formatRatio(r: number | null): string {
  return r === null ? '—' : `${(Math.round(r * 1000) / 10).toFixed(1)} %`;
}

export type Status = 'ok' | 'degraded' | 'down' | 'idle';

const STATUS_RANK: Record<Status, number> = { down: 0, degraded: 1, ok: 2, idle: 3 };

/** Worst first: down, degraded, ok, idle. */
export function statusRank(s: Status): number {
  return STATUS_RANK[s];
}

export function statusBadge(s: Status): SafeHtml {
  return html`<span class="status status-${s}">${s}</span>`;
}

/** "1 client", "2 clients". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
