/**
 * Authenticators checked on the wire when the observer has SAs (local bindings): a request's or
 * reply's Mobile-Home authenticator (RFC 5944 section 3.5.2) verified with the client's SA; without
 * an SA the message is counted as not checked. A failure is a security-violation event.
 */
import type { SecurityViolationReason } from '../pmip/events.ts';
import { verifyAuthentication, type DecodedRegistration } from '../pmip/wire/index.ts';
import type { ObserverCounters } from './counters.ts';
import type { ObserverSecurityAssociations } from './observer.ts';
import { violationEvent, violationReason, type Emit } from './wire-events.ts';

export class AuthenticatorCheck {
  constructor(
    private readonly sas: ObserverSecurityAssociations | undefined,
    private readonly n: ObserverCounters,
    private readonly emit: Emit,
  ) {}

  /** A request from `src`: counted verified, failed (and reported) or not checked. */
  request(d: DecodedRegistration, src: string, homeAddress: string, now: number): void {
    const check = this.check(d, homeAddress);
    if (check !== undefined) this.emit(violationEvent(now, src, check, homeAddress, src));
  }

  /** A reply from `src` to `sender`'s attempt: undefined when usable (verified, or not checkable). */
  reply(
    d: DecodedRegistration,
    src: string,
    sender: string,
    homeAddress: string,
    now: number,
  ): SecurityViolationReason | undefined {
    const check = this.check(d, homeAddress);
    if (check !== undefined) this.emit(violationEvent(now, sender, check, homeAddress, src));
    return check;
  }

  private check(d: DecodedRegistration, homeAddress: string): SecurityViolationReason | undefined {
    const sa = this.sas?.lookup(homeAddress);
    if (!sa) {
      this.n.notChecked++;
      return undefined;
    }
    const result = verifyAuthentication(d, { spi: sa.sa.spi, key: sa.sa.key, algorithm: sa.sa.algorithm });
    if (result === 'ok') {
      this.n.verified++;
      return undefined;
    }
    this.n.failed++;
    return violationReason(result);
  }
}
