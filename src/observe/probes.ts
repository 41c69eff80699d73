/**
 * Home agent probes on the wire: a request with a reserved SPI (0-255, RFC 5944 section 3.5) is no
 * registration but an AAP's probe of a home agent (docs/aap-protocol.md) or a scan; its reply is
 * matched by home address and identification and counted apart, never as a client's attempt.
 */
import type { ObserverCounters } from './counters.ts';
import type { AddressBook, RegistrationFields } from './datagram.ts';
import type { Emit } from './wire-events.ts';

/** Unanswered probes do not pile up: the list starts over beyond this. */
const MAX_PROBES = 4096;

export class HomeAgentProbes {
  /** In flight: home address and identification low half -> home agent. */
  private readonly inFlight = new Map<string, string>();

  constructor(
    private readonly names: AddressBook,
    private readonly n: ObserverCounters,
    private readonly emit: Emit,
  ) {}

  sent(f: RegistrationFields, at: number): void {
    this.n.probes++;
    if (this.inFlight.size >= MAX_PROBES) this.inFlight.clear();
    const homeAgent = this.names.name(f.homeAgent);
    this.inFlight.set(`${f.homeAddress >>> 0}/${f.idLow}`, homeAgent);
    this.emit({
      type: 'ha-probe',
      time: at,
      node: homeAgent,
      nodeKind: 'access-point',
      homeAgent,
      outcome: 'sent',
    });
  }

  /** True when the reply answers a probe (then counted and emitted here). */
  answered(f: RegistrationFields, src: number, at: number): boolean {
    if (this.inFlight.size === 0) return false;
    const key = `${f.homeAddress >>> 0}/${f.idLow}`;
    const homeAgent = this.inFlight.get(key);
    if (homeAgent === undefined) return false;
    this.inFlight.delete(key);
    this.n.probesAnswered++;
    const node = this.names.name(src);
    this.emit({ type: 'ha-probe', time: at, node, nodeKind: 'access-point', homeAgent, outcome: 'answered' });
    return true;
  }
}
