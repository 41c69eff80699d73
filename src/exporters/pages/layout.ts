/** The frame every page shares: navigation, a small stylesheet that reads on a laptop and a phone. */
import type { SafeHtml } from './html.ts';
import { html, raw } from './html.ts';

export const NAV: ReadonlyArray<[string, string]> = [
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
main { padding: .5rem 1rem 2rem; max-width: 80rem; }
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
select, button { font-size: 1rem; padding: .25rem .5rem; }
`);

export function layout(title: string, path: string, body: SafeHtml): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
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
        <main>
          <h1>${title}</h1>
          ${body}
        </main>
      </body>
    </html> `.text;
}

/** A table inside a horizontally scrolling wrapper (wide tables on a phone). */
export function table(head: readonly string[], rows: readonly SafeHtml[], caption?: string): SafeHtml {
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
          ${head.map((h) => html`<th scope="col">${h}</th>`)}
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
