import type { SecurityViolationReason } from '../events.ts';
import type { SecurityAssociation } from '../security/store.ts';
import { PerNodeAuthenticationMethod, PmipNonSkippableSubtype } from '../wire/extensions.ts';
import {
  findAuthExtension,
  verifyAuthentication,
  type DecodedRegistration,
  type RegistrationRequest,
} from '../wire/registration.ts';
import { ReplyCode } from '../reply-codes.ts';
import { isDeregistration } from './common.ts';
import type { Encapsulation } from './binding-table.ts';
import {
  acceptedReplyIdentification,
  checkIdentification,
  type ReplyIdentification,
  type ReplayState,
} from './replay-protection.ts';

/**
 * The home agent's decision on one Registration Request (RFC 5944 section 3.8.2, with RFC 5563
 * section 3.1 for proxy mode), as a pure function: the request, the SA found for it, the replay
 * state and the bindings of its home address in; the reply code, the identification and SA of the
 * reply, any security violation and the change to the binding table out. The home agent owns the
 * sockets, the tables and the clock, and carries the decision out.
 */

/** What the home agent offers (its configuration, defaults applied). */
export interface HomeAgentPolicy {
  /** The unicast address a request must name in its Home Agent field. */
  address: string;
  /** Longest lifetime granted, seconds. */
  maxLifetime: number;
  gre: boolean;
  minimal: boolean;
  reverseTunnel: boolean;
  simultaneousBindings: boolean;
  maxSimultaneousBindings: number;
  /** Proxy mode: the per-node SAs, found by the SPI of the Foreign-Home extension. */
  perNodeSecurityAssociations: readonly SecurityAssociation[];
}

/** The outcome of looking up the mobile node's SA by home address. */
export type SaLookup =
  | { state: 'found'; sa: SecurityAssociation }
  | { state: 'none' }
  /** The SA source failed (e.g. an AAA timeout): not the node's fault, not a violation. */
  | { state: 'failed' };

export interface RequestInput {
  decoded: DecodedRegistration<RegistrationRequest>;
  /** The mobile node's SA; looked up only when `needsMobileHomeSa` says so (absent: failed). */
  mobileHomeSa?: SaLookup;
  /** The replay state of the request's home address. */
  replay: ReplayState;
  /** The care-of addresses bound for the request's home address now. */
  bound: ReadonlyMap<string, unknown> | undefined;
  /** The home agent's clock (ms since epoch). */
  now: number;
}

/** What an accepted request does to the binding table. */
export type BindingChange =
  | {
      action: 'bind';
      /** Granted lifetime, seconds. */
      lifetime: number;
      multiple: boolean;
      encapsulation: Encapsulation;
      reverseTunnel: boolean;
    }
  | { action: 'remove'; careOfAddress: string }
  | { action: 'remove-all' };

export interface RequestDecision {
  code: number;
  /** Whether the code accepts (0 or 1); otherwise the home agent denied the request. */
  accepted: boolean;
  /** The reply's lifetime (0 for denials and deregistrations). */
  lifetime: number;
  /** A security violation to report before the reply. */
  violation?: SecurityViolationReason;
  /** The SA that authenticates the reply; absent: the reply goes unauthenticated. */
  sa?: SecurityAssociation;
  /** The authentication extension of the reply: Mobile-Home (32) or, in proxy mode, Foreign-Home (34). */
  authType: 32 | 34;
  identification: ReplyIdentification;
  /** Acceptances: the binding table change. */
  change?: BindingChange;
  /** Timestamp mode acceptances: remember the request's identification as the last accepted. */
  rememberIdentification?: boolean;
}

const ZERO_ADDRESS = '0.0.0.0';

/** The per-node authentication method of a request's extension 47 (sub-type 1), if it has one. */
export function perNodeMethod(req: RegistrationRequest): number | undefined {
  for (const e of req.extensions)
    if (
      e.kind === 'long' &&
      e.type === 47 &&
      e.subtype === PmipNonSkippableSubtype.perNodeAuthenticationMethod
    )
      return e.data[0] ?? 0;
  return undefined;
}

/** A zero home address, or a zero care-of address on a registration: answered 134 at once. */
function poorlyFormed(req: RegistrationRequest): boolean {
  // Dynamic home addresses (RFC 2794) are not offered: a zero home address has no SA to use.
  return req.homeAddress === ZERO_ADDRESS || (!isDeregistration(req) && req.careOfAddress === ZERO_ADDRESS);
}

/** Whether the decision needs the mobile node's SA (looked up by home address, maybe remotely). */
export function needsMobileHomeSa(req: RegistrationRequest): boolean {
  return !poorlyFormed(req) && perNodeMethod(req) === undefined;
}

function denial(
  code: number,
  sa: SecurityAssociation | undefined,
  identification: ReplyIdentification = { kind: 'echo' },
  authType: 32 | 34 = 32,
  violation?: SecurityViolationReason,
): RequestDecision {
  const d: RequestDecision = { code, accepted: false, lifetime: 0, authType, identification };
  if (sa) d.sa = sa;
  if (violation) d.violation = violation;
  return d;
}

/** Decides on one request. Checks in the order of docs/agents.md ("Processing a Registration Request"). */
export function decideRequest(input: RequestInput, policy: HomeAgentPolicy): RequestDecision {
  const { decoded } = input;
  const req = decoded.message;
  if (poorlyFormed(req)) return denial(ReplyCode.haPoorlyFormedRequest, undefined);

  // 1'. Proxy mode (RFC 5563 section 3.1): the per-node authentication method extension says the
  // proxy authenticates for the node with the Foreign-Home extension and a per-node SA.
  const method = perNodeMethod(req);
  if (method !== undefined) {
    const perNode = policy.perNodeSecurityAssociations;
    // Only FA-HA authentication is offered here (method 2, IPsec, is not), and only when configured.
    if (method !== PerNodeAuthenticationMethod.faHa || perNode.length === 0)
      return denial(ReplyCode.haAdministrativelyProhibited, undefined);
    const ext = findAuthExtension(decoded, 34);
    const failed = (reason: SecurityViolationReason, sa?: SecurityAssociation): RequestDecision =>
      denial(ReplyCode.haFaFailedAuthentication, sa, { kind: 'echo' }, 34, reason);
    if (!ext) return failed('missing-security-extension');
    const sa = perNode.find((x) => x.spi === ext.extension.spi);
    if (!sa) return failed('bad-spi');
    const auth = { type: 34 as const, spi: sa.spi, key: sa.key, algorithm: sa.algorithm };
    if (verifyAuthentication(decoded, auth) !== 'ok') return failed('bad-authenticator', sa);
    return authenticated(input, policy, sa, 34);
  }

  // 1. Authentication (RFC 5944 section 3.8.2): the Mobile-Home extension with the node's SA.
  const lookup = input.mobileHomeSa ?? { state: 'failed' };
  if (lookup.state === 'failed') return denial(ReplyCode.haUnspecified, undefined);
  const sa = lookup.state === 'found' ? lookup.sa : undefined;
  const failed = (
    reason: SecurityViolationReason,
    replySa: SecurityAssociation | undefined,
  ): RequestDecision => denial(ReplyCode.haMnFailedAuthentication, replySa, { kind: 'echo' }, 32, reason);
  const ext = findAuthExtension(decoded, 32);
  if (!ext) return failed('missing-security-extension', sa);
  if (!sa) return failed('no-mobility-security-association', undefined);
  if (ext.extension.spi !== sa.spi) return failed('bad-spi', sa);
  if (verifyAuthentication(decoded, { spi: sa.spi, key: sa.key, algorithm: sa.algorithm }) !== 'ok')
    return failed('bad-authenticator', sa);
  return authenticated(input, policy, sa, 32);
}

/** After authentication: replay protection, then the checks of the request and the binding. */
function authenticated(
  input: RequestInput,
  policy: HomeAgentPolicy,
  sa: SecurityAssociation,
  authType: 32 | 34,
): RequestDecision {
  const req = input.decoded.message;
  // 2. Replay protection (section 5.7).
  const idCheck = checkIdentification(req.identification, sa, input.replay, input.now);
  if (!idCheck.ok)
    return denial(
      ReplyCode.haIdentificationMismatch,
      sa,
      idCheck.reply,
      authType,
      idCheck.violation ? 'bad-identifier' : undefined,
    );
  // From here on every authenticated reply in nonce mode hands out the next nonce.
  const id = acceptedReplyIdentification(sa);
  const deny = (code: number): RequestDecision => denial(code, sa, id, authType);

  // 3. The request must name this home agent's unicast address (home agent discovery, 136).
  if (req.homeAgent !== policy.address) return deny(ReplyCode.haUnknownHomeAgentAddress);

  // 4. Services asked for.
  const { G, M, T, S } = req.flags;
  if ((G || M) && !((G && policy.gre) || (M && policy.minimal)))
    return deny(ReplyCode.haEncapsulationUnavailable);
  if (T && !policy.reverseTunnel) return deny(ReplyCode.haReverseTunnelUnavailable);
  const multiple = S && policy.simultaneousBindings;
  const deregistration = isDeregistration(req);
  const bound = input.bound;
  if (
    !deregistration &&
    multiple &&
    bound &&
    !bound.has(req.careOfAddress) &&
    bound.size >= policy.maxSimultaneousBindings
  )
    return deny(ReplyCode.haTooManySimultaneousBindings);

  // Accepted.
  const code = S && !multiple ? ReplyCode.acceptedNoSimultaneousBindings : ReplyCode.accepted;
  const decision: RequestDecision = { code, accepted: true, lifetime: 0, sa, authType, identification: id };
  if (sa.replay === 'timestamp') decision.rememberIdentification = true;
  if (deregistration) {
    decision.change =
      multiple && req.lifetime === 0 && req.careOfAddress !== req.homeAddress
        ? { action: 'remove', careOfAddress: req.careOfAddress }
        : { action: 'remove-all' };
  } else {
    decision.lifetime = Math.min(req.lifetime, policy.maxLifetime);
    decision.change = {
      action: 'bind',
      lifetime: decision.lifetime,
      multiple,
      encapsulation: G && policy.gre ? 'gre' : M && policy.minimal ? 'minimal' : 'ip-in-ip',
      reverseTunnel: T,
    };
  }
  return decision;
}
