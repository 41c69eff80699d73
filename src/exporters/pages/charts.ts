/**
 * The overview's two charts as server-rendered inline SVG (no script, no library): outcomes per
 * minute over the last hour (stacked bars) and the round-trip distribution (one bar per bucket).
 * Every data point is a <rect> with data-* attributes (series, time or bucket, count) and a
 * <title> tooltip; each chart has a title and a description for screen readers.
 */
import type { RegistrationOutcomeKind } from '../../collector/vocabulary.ts';
import type { SafeHtml } from './html.ts';
import { html } from './html.ts';
import { plural } from './format.ts';

export const OUTCOME_ORDER: readonly RegistrationOutcomeKind[] = [
  'accepted',
  'denied',
  'timeout',
  'unauthenticated',
  'discarded',
];

export const OUTCOME_WORDS: Record<RegistrationOutcomeKind, string> = {
  accepted: 'accepted',
  denied: 'denied',
  timeout: 'timeout (no reply)',
  unauthenticated: 'unauthenticated reply',
  discarded: 'discarded',
};

const W = 720;
const H = 200;
const PAD = { left: 44, right: 10, top: 12, bottom: 30 };
const PLOT_W = W - PAD.left - PAD.right;
const PLOT_H = H - PAD.top - PAD.bottom;

/** A round axis maximum at or above `v`: 1, 2, 5, 10, 20, 50, ... */
function niceMax(v: number): number {
  if (v <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

const r1 = (v: number) => Math.round(v * 10) / 10;

function axes(max: number, xLabels: Array<[number, string]>): SafeHtml {
  const y0 = PAD.top + PLOT_H;
  return html`<g class="axis" aria-hidden="true">
    <line x1="${PAD.left}" y1="${y0}" x2="${W - PAD.right}" y2="${y0}" />
    <line class="grid" x1="${PAD.left}" y1="${PAD.top}" x2="${W - PAD.right}" y2="${PAD.top}" />
    <line
      class="grid"
      x1="${PAD.left}"
      y1="${r1(PAD.top + PLOT_H / 2)}"
      x2="${W - PAD.right}"
      y2="${r1(PAD.top + PLOT_H / 2)}"
    />
    <text x="${PAD.left - 6}" y="${y0 + 4}" text-anchor="end">0</text>
    <text x="${PAD.left - 6}" y="${r1(PAD.top + PLOT_H / 2 + 4)}" text-anchor="end">${r1(max / 2)}</text>
    <text x="${PAD.left - 6}" y="${PAD.top + 4}" text-anchor="end">${max}</text>
    ${xLabels.map(([x, label]) => html`<text x="${r1(x)}" y="${H - 10}" text-anchor="middle">${label}</text>`)}
  </g>`;
}

function frame(id: string, title: string, desc: string, body: SafeHtml, legend: SafeHtml): SafeHtml {
  return html`<figure class="chart" id="${id}">
    <svg
      viewBox="0 0 ${W} ${H}"
      role="img"
      aria-labelledby="${id}-title ${id}-desc"
      xmlns="http://www.w3.org/2000/svg"
    >
      <title id="${id}-title">${title}</title>
      <desc id="${id}-desc">${desc}</desc>
      ${body}
    </svg>
    <figcaption>${title}. ${legend}</figcaption>
  </figure>`;
}

function empty(text: string): SafeHtml {
  return html`<text class="empty" x="${W / 2}" y="${H / 2}" text-anchor="middle">${text}</text>`;
}

export interface OutcomePoint {
  /** ms since epoch: the end of the minute. */
  time: number;
  counts: Record<RegistrationOutcomeKind, number>;
}

const MINUTES = 60;

/** Stacked bars, one per minute of the last hour (the newest on the right), one rect per outcome. */
export function outcomesChart(points: readonly OutcomePoint[]): SafeHtml {
  const shown = points.slice(-MINUTES);
  const totals = shown.map((p) => OUTCOME_ORDER.reduce((t, k) => t + (p.counts[k] ?? 0), 0));
  const sum = Object.fromEntries(
    OUTCOME_ORDER.map((k) => [k, shown.reduce((t, p) => t + (p.counts[k] ?? 0), 0)]),
  ) as Record<RegistrationOutcomeKind, number>;
  const attempts = totals.reduce((a, b) => a + b, 0);
  const max = niceMax(Math.max(0, ...totals));
  const bw = PLOT_W / MINUTES;
  const y0 = PAD.top + PLOT_H;
  const rects: SafeHtml[] = [];
  shown.forEach((p, i) => {
    const slot = MINUTES - shown.length + i;
    const x = PAD.left + slot * bw;
    let y = y0;
    const minute = new Date(p.time).toISOString().slice(11, 16);
    for (const k of OUTCOME_ORDER) {
      const n = p.counts[k] ?? 0;
      if (n <= 0) continue;
      const h = (n / max) * PLOT_H;
      y -= h;
      rects.push(
        html`<rect
          class="o-${k}"
          x="${r1(x + 1)}"
          y="${r1(y)}"
          width="${r1(Math.max(1, bw - 2))}"
          height="${r1(Math.max(0.5, h))}"
          data-series="outcomes"
          data-time="${new Date(p.time).toISOString()}"
          data-outcome="${k}"
          data-count="${n}"
          ><title>${`minute to ${minute} UTC: ${n} ${OUTCOME_WORDS[k]}`}</title></rect
        >`,
      );
    }
  });
  const xLabels: Array<[number, string]> = [0, 15, 30, 45, 60].map((m) => [
    PAD.left + PLOT_W - (m / MINUTES) * PLOT_W,
    m === 0 ? 'now' : `-${m} min`,
  ]);
  const desc =
    attempts === 0
      ? 'No attempt concluded in the last hour.'
      : `${plural(attempts, 'attempt')} concluded in the last hour: ` +
        OUTCOME_ORDER.filter((k) => sum[k] > 0)
          .map((k) => `${sum[k]} ${OUTCOME_WORDS[k]}`)
          .join(', ') +
        `; at most ${Math.max(...totals)} in one minute.`;
  const legend = html`<span class="legend"
    >${OUTCOME_ORDER.map(
      (k) => html`<span><i class="swatch o-${k}"></i>${OUTCOME_WORDS[k]} (${sum[k]})</span> `,
    )}</span
  >`;
  return frame(
    'chart-outcomes',
    'Registration outcomes per minute, last hour',
    desc,
    html`${axes(max, xLabels)}${attempts === 0 ? empty('No attempt concluded in the last hour') : rects}`,
    legend,
  );
}

function bucketLabel(bounds: readonly number[], i: number): string {
  const ms = (s: number) => (s < 1 ? `${Math.round(s * 1000)} ms` : `${s} s`);
  return i < bounds.length ? `≤ ${ms(bounds[i]!)}` : `> ${ms(bounds[bounds.length - 1]!)}`;
}

/** One bar per round-trip bucket (non-cumulative counts; the last bucket is above the last bound). */
export function roundTripChart(distribution: {
  bounds: readonly number[];
  counts: readonly number[];
}): SafeHtml {
  const { bounds, counts } = distribution;
  const n = counts.length;
  const total = counts.reduce((a, b) => a + b, 0);
  const max = niceMax(Math.max(0, ...counts));
  const bw = PLOT_W / Math.max(1, n);
  const y0 = PAD.top + PLOT_H;
  const rects: SafeHtml[] = [];
  counts.forEach((c, i) => {
    if (c <= 0) return;
    const h = (c / max) * PLOT_H;
    const le = i < bounds.length ? String(bounds[i]) : '+Inf';
    rects.push(
      html`<rect
        class="rt"
        x="${r1(PAD.left + i * bw + 4)}"
        y="${r1(y0 - h)}"
        width="${r1(Math.max(1, bw - 8))}"
        height="${r1(Math.max(0.5, h))}"
        data-series="round-trip"
        data-le="${le}"
        data-count="${c}"
        ><title>${`${bucketLabel(bounds, i)}: ${plural(c, 'reply', 'replies')}`}</title></rect
      >`,
    );
  });
  const xLabels: Array<[number, string]> = counts.map((_, i) => [
    PAD.left + i * bw + bw / 2,
    bucketLabel(bounds, i),
  ]);
  let median = '';
  if (total > 0) {
    let seen = 0;
    for (let i = 0; i < n; i++) {
      seen += counts[i]!;
      if (seen >= total / 2) {
        median = ` Half of them took ${bucketLabel(bounds, i).replace('≤', 'at most').replace('>', 'more than')}.`;
        break;
      }
    }
  }
  const desc =
    total === 0
      ? 'No reply received in the last hour.'
      : `${plural(total, 'reply', 'replies')} in the last hour, by round trip.${median}`;
  return frame(
    'chart-round-trip',
    'Round trip of verified replies, last hour',
    desc,
    html`${axes(max, xLabels)}${total === 0 ? empty('No reply received in the last hour') : rects}`,
    html`<span class="legend">${plural(total, 'reply', 'replies')}.</span>`,
  );
}
