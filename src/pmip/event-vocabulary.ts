/**
 * The bounded vocabularies of the PmipEvent contract (src/pmip/events.ts re-exports them): every
 * field used as a metric label takes its values from one of these lists, each written once as an
 * `as const` array with its type derived.
 */
export const NODE_KINDS = ['access-point', 'home-agent', 'foreign-agent'] as const;
export type NodeKind = (typeof NODE_KINDS)[number];

export const REGISTRATION_KINDS = ['initial', 'renewal', 'deregistration'] as const;
export type RegistrationKind = (typeof REGISTRATION_KINDS)[number];

/** Who issues a reply code (RFC 5944 section 3.4: 0-1 and 128-191 the home agent, 64-127 the foreign agent). */
export const REPLY_ISSUERS = ['home-agent', 'foreign-agent', 'unknown'] as const;
export type ReplyIssuerKind = (typeof REPLY_ISSUERS)[number];

export const CLIENT_STATES = ['home', 'registered', 'pending', 'isolated', 'unknown'] as const;
export type ClientState = (typeof CLIENT_STATES)[number];

export const MOVEMENTS = ['home-to-foreign', 'foreign-to-foreign', 'foreign-to-home'] as const;
export type Movement = (typeof MOVEMENTS)[number];

export const REPLAY_MODES = ['timestamp', 'nonce'] as const;
export type ReplayMode = (typeof REPLAY_MODES)[number];

export const SOCKET_ROLES = ['registration', 'advertisement', 'aap'] as const;
export type SocketRole = (typeof SOCKET_ROLES)[number];

/**
 * How one registration attempt (a request and its retransmissions) ended, as the access point saw
 * it. Every attempt ends in exactly one outcome (docs/events.md).
 */
export const REGISTRATION_OUTCOME_KINDS = [
  'accepted',
  'denied',
  'timeout',
  'unauthenticated',
  'discarded',
] as const;
export type RegistrationOutcomeKind = (typeof REGISTRATION_OUTCOME_KINDS)[number];

/** Why an access point dropped a reply without acting on it (mnRepliesInvalid* in the MIB). */
export const REPLY_DISCARD_REASONS = [
  'invalid-home-address',
  'unknown-home-agent',
  'invalid-identification',
  'invalid-extension',
  'no-pending-request',
] as const;
export type ReplyDiscardReason = (typeof REPLY_DISCARD_REASONS)[number];

/**
 * Why an attempt ended as `discarded`: its only replies were dropped (a ReplyDiscardReason), it
 * could not be sent at all (no SA, no subnet map row for the client, an internal error), or the
 * access point's data plane failed to act on the acceptance (data-plane-error).
 */
export const ATTEMPT_DISCARD_REASONS = [
  ...REPLY_DISCARD_REASONS,
  'no-security-association',
  'no-home-agent',
  'internal-error',
  'data-plane-error',
] as const;
export type AttemptDiscardReason = (typeof ATTEMPT_DISCARD_REASONS)[number];

/** Security violation reasons of the Mobile IP MIB (mipSecViolationReason, RFC 2006). */
export const SECURITY_VIOLATION_REASONS = [
  'no-mobility-security-association',
  'bad-authenticator',
  'bad-identifier',
  'bad-spi',
  'missing-security-extension',
  'other',
] as const;
export type SecurityViolationReason = (typeof SECURITY_VIOLATION_REASONS)[number];

/** Why a RADIUS server gave no SA for an attempt. */
export const SA_SHORTFALL_CAUSES = ['rejected', 'timeout', 'malformed', 'bad-authenticator'] as const;
export type SecurityAssociationShortfallCause = (typeof SA_SHORTFALL_CAUSES)[number];
export const ARP_KINDS = ['gratuitous', 'proxy'] as const;
export type ArpKind = (typeof ARP_KINDS)[number];
export const VISITOR_REMOVAL_CAUSES = ['deregistered', 'expired', 'denied'] as const;
export type VisitorRemovalCause = (typeof VISITOR_REMOVAL_CAUSES)[number];
/**
 * Which defence of a foreign agent denied a request (request-denied `cause`), where one code
 * (65, 66) has several: the Home Agent field refused, a request from its own endpoint, the relay
 * rate limit, the pending limits, a pending entry evicted for another source, the visitor table full.
 */
export const FA_DENIAL_CAUSES = [
  'home-agent-refused',
  'own-endpoint',
  'rate-limited',
  'pending-limit',
  'pending-evicted',
  'visitor-table-full',
] as const;
export type ForeignAgentDenialCause = (typeof FA_DENIAL_CAUSES)[number];
/** Why a foreign agent dropped a reply (reply-dropped). */
export const REPLY_DROP_REASONS = ['no-pending-request', 'poorly-formed', 'unexpected-source'] as const;
export type ReplyDropReason = (typeof REPLY_DROP_REASONS)[number];
/** What was read leniently (lenient-decode). */
export const LENIENT_DECODES = ['ext47-short-form'] as const;
export type LenientDecodeKind = (typeof LENIENT_DECODES)[number];
/** Where a subnet map change came from (subnet-map-updated). */
export const SUBNET_MAP_UPDATE_SOURCES = ['config', 'aap', 'reconciliation', 'discovery', 'clear'] as const;
export type SubnetMapUpdateSource = (typeof SUBNET_MAP_UPDATE_SOURCES)[number];
export const HA_PROBE_OUTCOMES = ['sent', 'answered', 'timed-out'] as const;
export type HomeAgentProbeOutcome = (typeof HA_PROBE_OUTCOMES)[number];
/** Why an AAP message was refused (aap-message-refused). */
export const AAP_REFUSAL_REASONS = [
  'unauthenticated',
  'stale',
  'malformed',
  'unknown-peer',
  'wrong-receiver',
] as const;
export type AapRefusalReason = (typeof AAP_REFUSAL_REASONS)[number];

/** How one exchange with one RADIUS server ended (label values: bounded). */
export const RADIUS_EXCHANGE_RESULTS = [
  'accept',
  'reject',
  'timeout',
  'malformed',
  'bad-authenticator',
] as const;
export type RadiusExchangeResult = (typeof RADIUS_EXCHANGE_RESULTS)[number];

/** Which attributes carried an accepted SA: Cisco av-pairs or the 3GPP2 ones (RFC 2868 salt). */
export const RADIUS_ATTRIBUTE_STYLES = ['cisco', '3gpp2'] as const;
export type RadiusAttributeStyle = (typeof RADIUS_ATTRIBUTE_STYLES)[number];
