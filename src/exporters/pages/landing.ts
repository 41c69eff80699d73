/** The landing page: links to every page, the metrics and every API endpoint. */
import { html } from './html.ts';
import { NAV, layout } from './layout.ts';

export const API_ENDPOINTS: readonly string[] = [
  '/api/v1/statistics',
  '/api/v1/clients',
  '/api/v1/subnet-map',
  '/api/v1/security-associations',
  '/api/v1/aaps',
  '/api/v1/bindings',
  '/api/v1/visitors',
];

export function landingPage(): string {
  return layout(
    'PMIP exporter',
    '/',
    html`<h2>Pages</h2>
      <ul>
        ${NAV.map(([href, name]) => html`<li><a href="${href}">${name}</a>${href === '/metrics' ? ' (Prometheus text format)' : ''}</li>`)}
      </ul>
      <h2>JSON API</h2>
      <ul>
        ${API_ENDPOINTS.map((href) => html`<li><a href="${href}">${href}</a></li>`)}
      </ul>
      <h2>Health</h2>
      <ul>
        <li><a href="/-/healthy">/-/healthy</a></li>
        <li><a href="/-/ready">/-/ready</a></li>
      </ul>`,
  );
}
