/**
 * Ingest of agent discovery (RFC 5944 section 2): advertisements and solicitations at the access
 * points (an observed advertisement to the whole link: at its agent instead), advertisements sent
 * by the agents, ARP on either side.
 */
import { Fa, Ha, Mn, Seen, add } from '../counters.ts';
import type { IngestState } from './state.ts';
import type { IngestTable } from './types.ts';

/**
 * An advertisement to the link (observer, `toLink`): counted in `column` of the advertising agent
 * as the access points see it, a foreign agent when its F flag is set, else a home agent. `link`
 * is no access point: it never takes an access point slot.
 */
function countForAgent(s: IngestState, agent: string, foreignAgent: boolean, column: number): void {
  const g = foreignAgent ? s.faSeen : s.haSeen;
  add(g.counters, g.registry.slot(agent) * Seen.width + column);
}

export const discoveryIngest = {
  'advertisement-received': (s, e) => {
    if (e.toLink) countForAgent(s, e.agent, e.foreignAgent, Seen.linkAdvertisements);
    else add(s.ap.counters, s.ap.registry.slot(e.node) * Mn.width + Mn.advertisementsReceived);
  },

  'agent-reboot-detected': (s, e) => {
    s.restarts.record(e, s.clock());
    if (e.toLink) countForAgent(s, e.agent, e.foreignAgent === true, Seen.linkRebootsDetected);
    else add(s.ap.counters, s.ap.registry.slot(e.node) * Mn.width + Mn.agentRebootsDetected);
  },

  'solicitation-sent': (s, e) => {
    add(s.ap.counters, s.ap.registry.slot(e.node) * Mn.width + Mn.solicitationsSent);
  },

  'advertisement-sent': (s, e) => {
    if (e.nodeKind === 'home-agent')
      add(s.ha.counters, s.ha.registry.slot(e.node) * Ha.width + Ha.advertisementsSent);
    else if (e.nodeKind === 'foreign-agent')
      add(s.fa.counters, s.fa.registry.slot(e.node) * Fa.width + Fa.advertisementsSent);
    else return false;
  },

  'arp-sent': (s, e) => {
    if (e.nodeKind === 'home-agent') {
      const b = s.ha.registry.slot(e.node) * Ha.width;
      add(s.ha.counters, b + (e.kind === 'gratuitous' ? Ha.gratuitousArpsSent : Ha.proxyArpsSent));
    } else if (e.nodeKind === 'access-point') {
      const b = s.ap.registry.slot(e.node) * Mn.width;
      add(s.ap.counters, b + (e.kind === 'gratuitous' ? Mn.gratuitousArpsSent : Mn.proxyArpsSent));
    } else return false;
  },
} satisfies Partial<IngestTable>;
