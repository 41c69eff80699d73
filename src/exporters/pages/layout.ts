/** The frame every page shares: navigation, a small stylesheet that reads on a laptop and a phone. */
import type { SafeHtml } from './html.ts';
import { html, raw } from './html.ts';

export const NAV: ReadonlyArray<[string, string]> = [
  ['/', 'Overview'],
  ['/statistics', 'Statistics'],
  ['/clients', 'Mobile Clients'],
  ['/subnet-map', 'Subnet Map'],
  ['/security-associations', 'Security Associations'],
  ['/aaps', 'AAP Status'],
  ['/metrics', 'Metrics'],
];

const STYLE = raw(`
:root { color-scheme: light dark; font-family: system-ui, sans-serif; }
body { margin: 0; line-height: 1.4; }
header { background: #1f3a5f; color: #fff; padding: .5rem 1rem; }
header a { color: #fff; margin-right: .9rem; text-decoration: none; display: inline-block; padding: .2rem 0; }
header a[aria-current] { border-bottom: 2px solid #fff; }
header strong { margin-right: 1.2rem; }
main { padding: .5rem 1rem 2rem; max-width: 80rem; } main.wide { max-width: none; }
td.nowrap, th.nowrap { white-space: nowrap; } td.outcome { min-width: 16rem; max-width: 30rem; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 1.6rem; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; margin: .4rem 0; }
th, td { border-bottom: 1px solid #8884; padding: .25rem .6rem; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
th[scope="row"] { font-weight: normal; overflow-wrap: anywhere; }
caption { text-align: left; font-weight: 600; padding: .3rem 0; }
.muted { opacity: .7; }
.bad { color: #b00020; font-weight: 600; } .good { color: #1b7f3b; font-weight: 600; }
form.filters { display: flex; flex-wrap: wrap; gap: .6rem; align-items: end; }
label { display: flex; flex-direction: column; font-size: .9rem; }
select, button, input { font-size: 1rem; padding: .25rem .5rem; }
.status { display: inline-block; min-width: 5.2em; text-align: center; border-radius: .3rem; padding: 0 .35rem;
  font-weight: 700; color: #fff; }
.status-ok { background: #1b7f3b; } .status-degraded { background: #b35c00; }
.status-down { background: #b00020; } .status-idle { background: #6b6b6b; }
.headline { border-left: .4rem solid #1b7f3b; background: #1b7f3b14; padding: .4rem .8rem; margin: .4rem 0 .8rem; }
.headline.bad-news { border-left-color: #b00020; background: #b0002014; }
.headline p { margin: .2rem 0; font-weight: 600; }
.headline ul { margin: .2rem 0; padding-left: 0; list-style: none; }
.headline li { margin: .25rem 0; }
.charts { display: flex; flex-wrap: wrap; gap: 1rem; }
figure.chart { margin: 0; flex: 1 1 22rem; max-width: 46rem; }
figure.chart svg { width: 100%; height: auto; display: block; }
figure.chart figcaption { font-size: .85rem; }
svg .axis line { stroke: currentColor; stroke-opacity: .5; } svg .axis line.grid { stroke-dasharray: 3 3; stroke-opacity: .25; }
svg .axis text, svg text.empty { fill: currentColor; font-size: 13px; }
.o-accepted { fill: #2e7d32; background: #2e7d32; } .o-denied { fill: #ef6c00; background: #ef6c00; }
.o-timeout { fill: #c62828; background: #c62828; } .o-unauthenticated { fill: #6a1b9a; background: #6a1b9a; }
.o-discarded { fill: #757575; background: #757575; } .rt { fill: #1f5fa8; }
.legend span { white-space: nowrap; margin-right: .7rem; }
i.swatch { display: inline-block; width: .8em; height: .8em; margin-right: .25em; vertical-align: -.05em; }
th a.sort { color: inherit; text-decoration: none; white-space: nowrap; }
th a.sort:hover { text-decoration: underline; }
.pager { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; margin: .4rem 0; }
p.note { font-size: .9rem; max-width: 60rem; }
p.finding { font-weight: 600; }
`);

export interface LayoutOptions {
  /** Reload the page every this many seconds (<meta http-equiv="refresh">). */
  refreshSeconds?: number | undefined;
  /** Use the whole window width (wide tables). */
  wide?: boolean;
}

/**
 * What the figures come from. An observed site (`pmip-exporter observe`) registered nobody: its
 * "access points" are the senders seen on the wire.
 */
export function siteModeNote(mode: 'proxied' | 'observed'): SafeHtml | '' {
  return mode === 'observed'
    ? html`<p class="headline">
        <b>Observed site, not proxied:</b> these figures come from the Mobile IP traffic seen on the wire.
        Each "access point" is a sender of registrations (a proxy or a mobile node address); nothing here was
        sent by this process.
      </p>`
    : '';
}

export function layout(title: string, path: string, body: SafeHtml, options: LayoutOptions = {}): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        ${options.refreshSeconds ? html`<meta http-equiv="refresh" content="${options.refreshSeconds}" />` : ''}
        <title>${title} · pmip-exporter</title>
        <style>
          ${STYLE}
        </style>
      </head>
      <body>
        <header>
          <nav>
            <strong><a href="/">pmip-exporter</a></strong
            >${NAV.map(
              ([href, name]) =>
                html`<a href="${href}" ${href === path ? raw(' aria-current="page"') : ''}>${name}</a>`,
            )}
          </nav>
        </header>
        <main ${options.wide ? raw('class="wide"') : ''}>
          <h1>${title}</h1>
          ${body}
        </main>
      </body>
    </html> `.text;
}

/**
 * A table inside a horizontally scrolling wrapper (wide tables on a phone). A head cell given as
 * SafeHtml is a whole `<th>` (e.g. with aria-sort); a string becomes `<th scope="col">`.
 */
export function table(
  head: ReadonlyArray<string | SafeHtml>,
  rows: readonly SafeHtml[],
  caption?: string,
): SafeHtml {
  return html`<div class="table-wrap">
    <table>
      ${
        caption
          ? html`<caption>
              ${caption}
            </caption>`
          : ''
      }
      <thead>
        <tr>
          ${head.map((h) => (typeof h === 'string' ? html`<th scope="col">${h}</th>` : h))}
        </tr>
      </thead>
      <tbody>
        ${rows}
      </tbody>
    </table>
  </div>`;
}

export function formatTime(ms: number | null): string {
  return ms === null ? '—' : new Date(ms).toISOString().replace('.000Z', 'Z');
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null) return '—';
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0
    ? `${h}h ${String(m).padStart(2, '0')}m`
    : m > 0
      ? `${m}m ${String(r).padStart(2, '0')}s`
      : `${r}s`;
}
