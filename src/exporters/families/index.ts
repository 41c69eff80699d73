/**
 * The collector's metric families as named sections, rendered by hand from one snapshot. Each
 * section is rendered on its own so that one failure costs only its own lines (node_exporter's
 * per-collector rule).
 */
import type { Collector } from '../../collector/collector.ts';
import type { CollectorSnapshot } from '../../collector/snapshot.ts';
import { ExpositionWriter } from '../serializer.ts';
import { renderForeignAgentsSeen, renderHomeAgentsSeen } from './agents-seen.ts';
import { renderForeignAgentFamilies } from './foreign-agent.ts';
import { renderHomeAgentFamilies } from './home-agent.ts';
import { renderMobileNodeFamilies } from './mobile-node.ts';
import { renderRadiusFamilies } from './radius.ts';
import { renderSelfFamilies } from './self.ts';
import { renderSiteFamilies, renderSubnetMapRows } from './site.ts';

export interface MetricSection {
  name: string;
  render(w: ExpositionWriter, snapshot: CollectorSnapshot, collector: Collector): void;
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
    render: (w, s, c) =>
      renderSubnetMapRows(w, c.hasSubnetMapView() ? c.subnetMap().length : s.subnetMap.lastReportedRows),
  },
  { name: 'radius', render: (w, s) => renderRadiusFamilies(w, s) },
  { name: 'collector', render: (w, s) => renderSelfFamilies(w, s) },
];

export interface SectionResult {
  text: string;
  failed: string[];
}

/**
 * Renders every section; a section that throws is left out and named in `failed`. Pure apart
 * from reading the injected views through the collector.
 */
export function renderSections(
  snapshot: CollectorSnapshot,
  collector: Collector,
  sections: readonly MetricSection[] = METRIC_SECTIONS,
): SectionResult {
  let text = '';
  const failed: string[] = [];
  for (const section of sections) {
    const w = new ExpositionWriter();
    try {
      section.render(w, snapshot, collector);
      text += w.text();
    } catch {
      failed.push(section.name);
    }
  }
  return { text, failed };
}
