/**
 * Agent advertisements and solicitations seen on the wire (RFC 5944 section 2): counted, emitted,
 * and a sequence number that falls back below 256 reported as the agent's restart (section 2.1.1:
 * after 0xffff the sequence continues at 256, so 0-255 only follow a restart).
 */
import {
  ICMP_ROUTER_ADVERTISEMENT,
  decodeIcmpMobility,
  indicatesAgentReboot,
  isWireError,
} from '../pmip/wire/index.ts';
import type { ObserverCounters, SkipKind } from './counters.ts';
import type { Emit } from './wire-events.ts';

/**
 * The `node` of advertisements sent to a broadcast or multicast address (RFC 5944 section 2.3:
 * 224.0.0.1 or 255.255.255.255): received by the link, not by one access point. Such events carry
 * `toLink: true`, and the collector counts them for the advertising agent, never as an access
 * point row (docs/observe.md).
 */
export const LINK_NODE = 'link';
const REBOOT_REPORT_INTERVAL_MS = 10_000;

export class AdvertisementWatch {
  private readonly agents = new Map<string, { sequence: number; lastReboot: number }>();

  constructor(
    private readonly emit: Emit,
    private readonly n: ObserverCounters,
    private readonly skip: (kind: SkipKind, detail: string) => void,
    private readonly malformed: (errorKind: string, peer: string) => void,
  ) {}

  icmp(icmp: Buffer, src: string, dst: string, at: number): void {
    let m;
    try {
      m = decodeIcmpMobility(icmp);
    } catch (e) {
      if (!isWireError(e)) throw e;
      if (e.kind === 'unknown-type' && icmp[0] === ICMP_ROUTER_ADVERTISEMENT) return; // a plain router advertisement
      this.skip('malformed', `ICMP from ${src}: ${e.message}`);
      this.malformed(e.kind, src);
      return;
    }
    if (m.type === 'agent-solicitation') {
      this.n.solicitations++;
      this.emit({ type: 'solicitation-sent', time: at, node: src, nodeKind: 'access-point' });
      return;
    }
    this.n.advertisements++;
    const toLink = isGroupAddress(dst);
    const node = toLink ? LINK_NODE : dst;
    this.emit({
      type: 'advertisement-received',
      time: at,
      node,
      nodeKind: 'access-point',
      agent: src,
      sequence: m.sequence,
      registrationLifetime: m.registrationLifetime,
      homeAgent: m.flags.H,
      foreignAgent: m.flags.F,
      careOfAddresses: m.careOfAddresses,
      ...(toLink ? { toLink: true } : {}),
    });
    const seen = this.agents.get(src);
    if (seen && indicatesAgentReboot(seen.sequence, m.sequence)) {
      this.n.restarts++;
      if (at - seen.lastReboot >= REBOOT_REPORT_INTERVAL_MS) {
        seen.lastReboot = at;
        this.emit({
          type: 'agent-reboot-detected',
          time: at,
          node,
          nodeKind: 'access-point',
          agent: src,
          previousSequence: seen.sequence,
          sequence: m.sequence,
          ...(toLink ? { toLink: true, foreignAgent: m.flags.F } : {}),
        });
      }
    }
    if (seen) seen.sequence = m.sequence;
    else this.agents.set(src, { sequence: m.sequence, lastReboot: -Infinity });
  }
}

export function isGroupAddress(address: string): boolean {
  if (address === '255.255.255.255') return true;
  const first = Number(address.slice(0, address.indexOf('.')));
  return first >= 224 && first <= 239;
}
