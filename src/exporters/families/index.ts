/**
 * The collector's metric families as named sections, rendered by hand from one snapshot and
 * nothing else. Each section is rendered on its own, timed, and a failure costs only its own lines
 * (node_exporter's per-collector rule); `renderSectionRuns` reports each section's time and
 * success as self-metrics, as node_exporter's node_scrape_collector_duration_seconds and
 * node_scrape_collector_success do.
 */
import type { CollectorSnapshot } from '../../collector/snapshot.ts';
import { ExpositionWriter, label } from '../serializer.ts';
import { renderForeignAgentsSeen, renderHomeAgentsSeen } from './agents-seen.ts';
import { renderForeignAgentFamilies } from './foreign-agent.ts';
import { renderHomeAgentFamilies } from './home-agent.ts';
import { renderMobileNodeFamilies } from './mobile-node.ts';
import { renderRadiusFamilies } from './radius.ts';
import { renderSelfFamilies } from './self.ts';
import { renderSiteFamilies, renderSubnetMapRows } from './site.ts';
import { EXPORTER } from './table.ts';

export interface MetricSection {
  name: string;
  render(w: ExpositionWriter, snapshot: CollectorSnapshot): void;
}

export const METRIC_SECTIONS: readonly MetricSection[] = [
  { name: 'mobile_node', render: (w, s) => renderMobileNodeFamilies(w, s.accessPoints) },
  { name: 'home_agents_seen', render: (w, s) => renderHomeAgentsSeen(w, s) },
  { name: 'foreign_agents_seen', render: (w, s) => renderForeignAgentsSeen(w, s) },
  { name: 'home_agent', render: (w, s) => renderHomeAgentFamilies(w, s.homeAgents) },
  { name: 'foreign_agent', render: (w, s) => renderForeignAgentFamilies(w, s.foreignAgents) },
  { name: 'site', render: (w, s) => renderSiteFamilies(w, s) },
  {
    name: 'subnet_map',
    render: (w, s) => {
      // The injected view failed while the snapshot was taken: a failed section, not a wrong count.
      if (s.subnetMap.rowsFailed) throw new Error('the subnet map view failed');
      renderSubnetMapRows(w, s.subnetMap.rows);
    },
  },
  { name: 'radius', render: (w, s) => renderRadiusFamilies(w, s) },
  { name: 'collector', render: (w, s) => renderSelfFamilies(w, s) },
];

/** How one section's render went: seconds it took, and whether its lines are on the page. */
export interface SectionRun {
  section: string;
  seconds: number;
  ok: boolean;
}

export interface SectionResult {
  text: string;
  failed: string[];
  /** What each failed section threw, in the order of `failed`. */
  errors: unknown[];
  runs: SectionRun[];
}

/** Monotonic nanoseconds; injected so a test can give each section a known duration. */
export type NanoClock = () => bigint;

/** Renders every section; a section that throws is left out and named in `failed`. Pure. */
export function renderSections(
  snapshot: CollectorSnapshot,
  sections: readonly MetricSection[] = METRIC_SECTIONS,
  clock: NanoClock = () => process.hrtime.bigint(),
): SectionResult {
  let text = '';
  const failed: string[] = [];
  const errors: unknown[] = [];
  const runs: SectionRun[] = [];
  for (const section of sections) {
    const w = new ExpositionWriter();
    const start = clock();
    let ok = true;
    try {
      section.render(w, snapshot);
      text += w.text();
    } catch (err) {
      ok = false;
      failed.push(section.name);
      errors.push(err);
    }
    runs.push({ section: section.name, seconds: Number(clock() - start) / 1e9, ok });
  }
  return { text, failed, errors, runs };
}

/** `pmip_exporter_section_duration_seconds` and `pmip_exporter_section_success`, per section. */
export function renderSectionRuns(runs: readonly SectionRun[]): string {
  const w = new ExpositionWriter();
  const labels = runs.map((r) => label('section', r.section));
  w.family(EXPORTER.sectionDuration);
  runs.forEach((r, i) => w.sample(EXPORTER.sectionDuration.name, labels[i]!, r.seconds));
  w.family(EXPORTER.sectionSuccess);
  runs.forEach((r, i) => w.sample(EXPORTER.sectionSuccess.name, labels[i]!, r.ok ? 1 : 0));
  return w.text();
}
