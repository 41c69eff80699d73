/**
 * Clock offsets between access points and home agents (the statistics document's `timeOffsets`,
 * learnt when a 133 denial made an access point resynchronise) and which clock is off, in one
 * sentence per finding:
 *
 * - an access point whose offset is about the same with every home agent it resynchronised with
 *   (two or more) has its own clock off;
 * - else a home agent whose offset is about the same with every access point that resynchronised
 *   with it (two or more) has its clock off;
 * - else, pair by pair: the access point when the home agent's other access points agree with it,
 *   the home agent when the access point's other home agents agree with it, the access point when
 *   the pair is all there is (it has an offset with every home agent it talks to), and both named
 *   when each also differs from others.
 *
 * Offsets under a second, and nonce mode (no clock involved), are not findings.
 */
import type { SafeHtml } from './html.ts';
import { html } from './html.ts';
import { agentName, formatAgo, formatOffset, roughSpan } from './format.ts';
import { table } from './layout.ts';

export interface OffsetEntry {
  accessPoint: string;
  homeAgent: string;
  homeAgentAddress: string;
  mode: string;
  /** The home agent's clock minus the access point's, seconds. */
  offsetSeconds: number;
  /** ISO 8601 or ms since epoch. */
  at: string | number;
}

/** Offsets below this are noise (and well inside any replay window). */
export const SIGNIFICANT_OFFSET_SECONDS = 1;

function aboutTheSame(values: number[]): boolean {
  if (values.length === 0) return false;
  const min = Math.min(...values);
  const max = Math.max(...values);
  if (Math.sign(min) !== Math.sign(max)) return false;
  const scale = Math.max(...values.map(Math.abs));
  return max - min <= Math.max(2, 0.02 * scale);
}

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

function groupBy(entries: OffsetEntry[], key: (e: OffsetEntry) => string): Map<string, OffsetEntry[]> {
  const groups = new Map<string, OffsetEntry[]>();
  for (const e of entries) {
    const list = groups.get(key(e));
    if (list) list.push(e);
    else groups.set(key(e), [e]);
  }
  return groups;
}

export interface ClockFinding {
  /** Whose clock is off: an access point id, a home agent address, or both when undecided. */
  culprit:
    { kind: 'access-point'; id: string } | { kind: 'home-agent'; address: string } | { kind: 'either' };
  text: string;
}

/** Which clocks are off, one finding per culprit (see the module comment for the rules). */
export function clockFindings(all: readonly OffsetEntry[]): ClockFinding[] {
  const timed = all.filter((e) => e.mode !== 'nonce' && Number.isFinite(e.offsetSeconds));
  const significant = (e: OffsetEntry) => Math.abs(e.offsetSeconds) >= SIGNIFICANT_OFFSET_SECONDS;
  const byAp = groupBy(timed, (e) => e.accessPoint);
  const byHa = groupBy(timed, (e) => e.homeAgentAddress);
  const suspect = (list: OffsetEntry[] | undefined) =>
    list !== undefined && list.every(significant) && aboutTheSame(list.map((e) => e.offsetSeconds));
  const explained = new Set<OffsetEntry>();
  const findings: ClockFinding[] = [];
  const direction = (offset: number, blamed: 'access-point' | 'home-agent') =>
    (blamed === 'access-point') === offset > 0 ? 'behind' : 'ahead';

  /** One clock blamed for every offset in `list`: their mean says how far off and which way. */
  const blame = (
    list: OffsetEntry[],
    culprit: Exclude<ClockFinding['culprit'], { kind: 'either' }>,
    who: string,
    why: string,
  ) => {
    const m = mean(list.map((e) => e.offsetSeconds));
    list.forEach((e) => explained.add(e));
    findings.push({
      culprit,
      text: `${who}'s clock is ${roughSpan(m)} ${direction(m, culprit.kind)}: ${why}.`,
    });
  };
  const blameAp = (ap: string, why: string) =>
    blame(byAp.get(ap)!, { kind: 'access-point', id: ap }, ap, why);
  const blameHa = (ha: string, why: string) => {
    const list = byHa.get(ha)!;
    blame(list, { kind: 'home-agent', address: ha }, agentName(list[0]!.homeAgent, ha), why);
  };

  // 1. An access point off with two or more home agents by about the same.
  for (const [ap, list] of byAp)
    if (list.length >= 2 && suspect(list))
      blameAp(ap, 'every home agent it talks to differs by about the same');
  // 2. A home agent off with two or more access points by about the same.
  for (const [ha, list] of byHa) {
    const open = list.filter((e) => !explained.has(e));
    if (open.length >= 2 && suspect(open))
      blameHa(ha, 'every access point that talks to it differs by about the same');
  }
  // 3. What is left, pair by pair.
  for (const e of timed) {
    if (explained.has(e) || !significant(e)) continue;
    const ap = suspect(byAp.get(e.accessPoint));
    const ha = suspect(byHa.get(e.homeAgentAddress));
    const haName = agentName(e.homeAgent, e.homeAgentAddress);
    if (ap && !ha) blameAp(e.accessPoint, `the other access points agree with ${haName}`);
    else if (ha && !ap) blameHa(e.homeAgentAddress, `${e.accessPoint} agrees with its other home agents`);
    else if (ap && ha)
      blameAp(
        e.accessPoint,
        `every home agent it talks to differs by about the same (so far only ${haName})`,
      );
    else {
      explained.add(e);
      findings.push({
        culprit: { kind: 'either' },
        text: `${e.accessPoint} and ${haName} differ by ${formatOffset(e.offsetSeconds)}, and each also differs from others: check both clocks.`,
      });
    }
  }
  return findings;
}

/** The table of offsets and the findings' sentences. */
export function clockSection(entries: readonly OffsetEntry[], now: number): SafeHtml {
  if (entries.length === 0)
    return html`<p class="muted" id="clock-findings">
      No clock offsets: no access point has had to resynchronise its clock with a home agent (code 133).
    </p>`;
  const findings = clockFindings(entries);
  const at = (v: string | number) => (typeof v === 'number' ? v : Date.parse(v));
  return html`<div id="clock-findings">
      ${
        findings.length === 0
          ? html`<p class="muted">Every offset is under ${SIGNIFICANT_OFFSET_SECONDS} s: no clock is off.</p>`
          : findings.map((f) => html`<p class="finding">${f.text}</p>`)
      }
    </div>
    ${table(
      ['Access point', 'Home agent', 'Offset (home agent minus access point)', 'Mode', 'Learnt'],
      entries.map(
        (e) =>
          html`<tr data-offset-seconds="${e.offsetSeconds}">
            <td>${e.accessPoint}</td>
            <td>${agentName(e.homeAgent, e.homeAgentAddress)}</td>
            <td class="n">${e.mode === 'nonce' ? '— (nonce: no clock)' : formatOffset(e.offsetSeconds)}</td>
            <td>${e.mode}</td>
            <td>${formatAgo(at(e.at), now)}</td>
          </tr>`,
      ),
      'Clock offsets per access point and home agent',
    )}`;
}
