/**
 * PmipEvent: the one contract between the engine (src/pmip) and the collector. The engine emits
 * these and knows nothing else about statistics; the collector consumes them and knows nothing
 * of sockets. Documented in docs/events.md. Bump EVENTS_VERSION on any incompatible change.
 *
 * Rules: events are plain data (JSON-serialisable apart from nothing), never carry key material,
 * and every field used as a metric label has a bounded set of values.
 */
export const EVENTS_VERSION = 2;

export * from './event-vocabulary.ts';
import type {
  AapRefusalReason,
  ArpKind,
  ClientState,
  ForeignAgentDenialCause,
  HomeAgentProbeOutcome,
  LenientDecodeKind,
  Movement,
  NodeKind,
  RadiusAttributeStyle,
  RadiusExchangeResult,
  RegistrationKind,
  RegistrationOutcomeKind,
  ReplayMode,
  ReplyDiscardReason,
  ReplyIssuerKind,
  ReplyDropReason,
  SecurityAssociationShortfallCause,
  SecurityViolationReason,
  SocketRole,
  SubnetMapUpdateSource,
  VisitorRemovalCause,
} from './event-vocabulary.ts';

export interface EventBase {
  /** Milliseconds since the Unix epoch, from the engine's injected clock. */
  time: number;
  /** Identifier of the emitting node (access point id, home agent id, foreign agent id, AAP id). */
  node: string;
  nodeKind: NodeKind;
}

/** A wireless client as the access point knows it. Per-client detail: never a metric label. */
export interface ClientRef {
  mac: string;
  /** The client's (home) IP address. */
  address: string;
}

// ---- access point (proxy mobile node) ----------------------------------------------------------

export interface RegistrationSentEvent extends EventBase {
  type: 'registration-sent';
  client: ClientRef;
  kind: RegistrationKind;
  retransmission: boolean;
  homeAgent: string;
  /** The foreign agent (its registration address) the request went through; absent when sent to the home agent directly. */
  foreignAgent?: string;
  careOfAddress: string;
  /** Requested lifetime, seconds. */
  lifetime: number;
  /** True when the request went to a directed broadcast address (mnRegRequestsSentToBroadcast). */
  toBroadcast: boolean;
}

export interface ReplyReceivedEvent extends EventBase {
  type: 'reply-received';
  client: ClientRef;
  kind: RegistrationKind;
  homeAgent: string;
  /** The foreign agent the request went through; absent when sent to the home agent directly. */
  foreignAgent?: string;
  code: number;
  reason: string;
  accepted: boolean;
  issuer: ReplyIssuerKind;
  /** Granted lifetime, seconds. */
  lifetime: number;
  /** From sending the request that this reply answers to receiving the reply. */
  roundTripSeconds: number;
}

/**
 * The end of one registration attempt, emitted once per attempt by the access point, after the
 * reply-received (or security-violation / reply-discarded) events that led to it.
 *
 * - accepted / denied: a verified reply (or a foreign agent's denial); `code`, `reason`, `issuer`
 *   and `roundTripSeconds` from that reply.
 * - timeout: no usable reply after the last retransmission.
 * - unauthenticated: the only replies failed authentication; `code` is the code they claimed
 *   (not verified), `reason` the security violation reason.
 * - discarded: the only replies were dropped (`reason` a ReplyDiscardReason), or the attempt
 *   could not be sent (`no-security-association`, `no-home-agent`, `internal-error`).
 */
export interface RegistrationOutcomeEvent extends EventBase {
  type: 'registration-outcome';
  client: ClientRef;
  kind: RegistrationKind;
  outcome: RegistrationOutcomeKind;
  /** The home agent address the attempt was for; absent when none was known (no subnet map row). */
  homeAgent?: string;
  /** The foreign agent the attempt went through; absent when sent to the home agent directly. */
  foreignAgent?: string;
  code?: number;
  reason?: string;
  issuer?: ReplyIssuerKind;
  /** Transmissions made (first send plus retransmissions); 0 when nothing could be sent. */
  transmissions: number;
  /** accepted / denied: from sending the answered request to the reply. */
  roundTripSeconds?: number;
  /**
   * timeout-free failures (unauthenticated, discarded): when the last reply matched to the
   * attempt arrived (ms), verified or not: the agent answered, if not usably.
   */
  lastReplyAt?: number;
  /**
   * discarded with `no-security-association` after a remote source was asked: why it gave none
   * (`rejected`, `timeout`, `malformed`, `bad-authenticator`) and which server said so.
   */
  securityAssociation?: SecurityAssociationShortfall;
}

/** Why a RADIUS server gave no SA for an attempt, and which server (per-client detail, not a label). */
export interface SecurityAssociationShortfall {
  cause: SecurityAssociationShortfallCause;
  server: string;
}

export interface TimeSyncEvent extends EventBase {
  type: 'time-sync';
  /** The home agent address whose clock (or nonce) the access point (`node`) synchronised with. */
  homeAgent: string;
  mode: ReplayMode;
  /** Timestamp mode: the home agent's clock minus ours, seconds. Nonce mode: 0. */
  offsetSeconds: number;
}

export interface SecurityViolationEvent extends EventBase {
  type: 'security-violation';
  reason: SecurityViolationReason;
  /** Address of the peer whose message failed the check. */
  peer: string;
  /** The client concerned, when known (per-client detail, not a label). */
  client?: ClientRef;
}

export interface ReplyDiscardedEvent extends EventBase {
  type: 'reply-discarded';
  reason: ReplyDiscardReason;
  peer: string;
}

export interface ClientMovedEvent extends EventBase {
  type: 'client-moved';
  client: ClientRef;
  movement: Movement;
  careOfAddress?: string;
}

/** The full live row for a client whenever anything about it changes. */
export interface ClientStateEvent extends EventBase {
  type: 'client-state';
  client: ClientRef;
  ssid: string;
  state: ClientState;
  /** The client's NAI (RFC 2794), when its association gave one. */
  nai?: string;
  homeAgent?: string;
  careOfAddress?: string;
  /** When the current registration expires (ms since epoch), if registered. */
  expiresAt?: number;
  /** Code of the last verified reply. */
  lastCode?: number;
  /** How the client's last concluded attempt ended; absent before the first. */
  lastOutcome?: ClientOutcome;
  /** When the attempt in progress started (ms since epoch); absent when none is in progress. */
  attemptStartedAt?: number;
}

/** A client's last outcome, as the client-state event and the pages carry it. */
export interface ClientOutcome {
  kind: RegistrationOutcomeKind;
  /** accepted / denied: the reply code; unauthenticated: the code claimed by the unverified reply. */
  code?: number;
  reason?: string;
  homeAgent?: string;
  foreignAgent?: string;
  transmissions: number;
  /** ms since epoch. */
  at: number;
  /** discarded for want of an SA after a RADIUS server was asked: why (as on the outcome event). */
  securityAssociation?: SecurityAssociationShortfall;
}

export interface ClientRemovedEvent extends EventBase {
  type: 'client-removed';
  client: ClientRef;
}

export interface ArpSentEvent extends EventBase {
  type: 'arp-sent';
  kind: ArpKind;
  address: string;
}

export interface AdvertisementReceivedEvent extends EventBase {
  type: 'advertisement-received';
  agent: string;
  sequence: number;
  registrationLifetime: number;
  homeAgent: boolean;
  foreignAgent: boolean;
  careOfAddresses: string[];
  /**
   * Observer only: the advertisement went to a broadcast or multicast address (RFC 5944 section
   * 2.3), so no one access point received it (`node` is then `link`). The collector counts it for
   * the advertising agent (F flag: as a foreign agent, else as a home agent), never as an access point.
   */
  toLink?: true;
}

export interface AgentRebootDetectedEvent extends EventBase {
  type: 'agent-reboot-detected';
  agent: string;
  previousSequence: number;
  sequence: number;
  /** Observer only: seen on an advertisement to the link (as in advertisement-received; `node` is `link`). */
  toLink?: true;
  /** With `toLink`: the F flag of that advertisement (the role the agent's restart is counted under). */
  foreignAgent?: boolean;
}

export interface SolicitationSentEvent extends EventBase {
  type: 'solicitation-sent';
}

// ---- home agent and foreign agent --------------------------------------------------------------

export interface RequestReceivedEvent extends EventBase {
  type: 'request-received';
  kind: RegistrationKind;
  homeAddress: string;
  careOfAddress: string;
}

/** A foreign agent passed a request on to the home agent. */
export interface RequestRelayedEvent extends EventBase {
  type: 'request-relayed';
  homeAddress: string;
  homeAgent: string;
}

/** A home agent sent a reply, or a foreign agent relayed one to the access point. */
export interface ReplySentEvent extends EventBase {
  type: 'reply-sent';
  code: number;
  reason: string;
  homeAddress: string;
  /** True on a foreign agent relaying a home agent's reply; false for replies the node made. */
  relayed: boolean;
}

/** The emitting agent denied a request itself (HA codes 128-191, FA codes 64-127). */
export interface RequestDeniedEvent extends EventBase {
  type: 'request-denied';
  code: number;
  reason: string;
  homeAddress: string;
  /** Foreign agent, codes 65 and 66: which defence denied it (absent for the other denials). */
  cause?: ForeignAgentDenialCause;
}

export interface BindingEvent extends EventBase {
  type: 'binding-created' | 'binding-renewed' | 'binding-removed' | 'binding-expired';
  homeAddress: string;
  careOfAddress: string;
  /** Granted lifetime, seconds (0 for removed/expired). */
  lifetime: number;
}

export interface VisitorEvent extends EventBase {
  type: 'visitor-added' | 'visitor-removed';
  homeAddress: string;
  homeAgent: string;
  lifetime: number;
  /** For removals: why the entry went. */
  cause?: VisitorRemovalCause;
  /** For additions whose lifetime was capped: the lifetime the home agent granted (above `lifetime`). */
  grantedLifetime?: number;
}

/**
 * A foreign agent dropped a reply it could not match to a pending request, could not parse, or
 * that came from another address or port than the home agent the request was relayed to.
 */
export interface ReplyDroppedEvent extends EventBase {
  type: 'reply-dropped';
  reason: ReplyDropReason;
}

export interface AdvertisementSentEvent extends EventBase {
  type: 'advertisement-sent';
  sequence: number;
}

/** Any node: a datagram that failed to decode. Counted, dropped, never fatal. */
export interface MalformedDatagramEvent extends EventBase {
  type: 'malformed-datagram';
  socket: SocketRole;
  /** WireError kind (or the AAP protocol's own kind): a bounded set. */
  errorKind: string;
  peer: string;
}

/**
 * Any node: a datagram that decoded only leniently, in a form the RFC does not give but some
 * implementations send (today: extension 47 in the short form, RFC 5563 section 3.1). Counted.
 */
export interface LenientDecodeEvent extends EventBase {
  type: 'lenient-decode';
  socket: SocketRole;
  /** What was read leniently: a bounded set. */
  what: LenientDecodeKind;
  peer: string;
}

// ---- subnet map and authoritative access points ------------------------------------------------

export interface SubnetMapUpdatedEvent extends EventBase {
  type: 'subnet-map-updated';
  rows: number;
  version: number;
  source: SubnetMapUpdateSource;
}

export interface AapReachabilityEvent extends EventBase {
  type: 'aap-reachability';
  aap: string;
  reachable: boolean;
}

export interface AapFailoverEvent extends EventBase {
  type: 'aap-failover';
  from: string;
  to: string;
}

export interface AapPushRetriedEvent extends EventBase {
  type: 'aap-push-retried';
  accessPoint: string;
  attempt: number;
}

export interface AapHandedOverEvent extends EventBase {
  type: 'aap-ap-handed-over';
  accessPoint: string;
  to: string;
}

export interface AapReconciledEvent extends EventBase {
  type: 'aap-reconciled';
  peer: string;
  rowsChanged: number;
}

export interface HomeAgentProbeEvent extends EventBase {
  type: 'ha-probe';
  homeAgent: string;
  outcome: HomeAgentProbeOutcome;
}

export interface AapMessageRefusedEvent extends EventBase {
  type: 'aap-message-refused';
  reason: AapRefusalReason;
  peer: string;
}

// ---- security associations from RADIUS (src/pmip/security/radius) ----------------------------

/**
 * One Access-Request to one server (with its retransmissions) and how it ended. `node` is the
 * access point that asked, or `sa-lookup` for the command line. `server` is the configured server
 * name (bounded by the configuration). Never carries the key, the secret or the password.
 */
export interface RadiusExchangeEvent extends EventBase {
  type: 'radius-exchange';
  server: string;
  result: RadiusExchangeResult;
  /** Access-Requests sent (first plus retransmissions). */
  transmissions: number;
  /** accept: which attributes carried the SA. */
  attributeStyle?: RadiusAttributeStyle;
  /** accept, reject, malformed, bad-authenticator: from the last send to the answer. */
  roundTripSeconds?: number;
  /** malformed, bad-authenticator: what was wrong (no key material). */
  detail?: string;
}

/** The next server was tried after `from` timed out or was held down. */
export interface RadiusFailoverEvent extends EventBase {
  type: 'radius-failover';
  from: string;
  to: string;
}

/** A lookup answered from the cache: an accepted SA, or a cached reject (negative cache). */
export interface RadiusCacheHitEvent extends EventBase {
  type: 'radius-cache-hit';
  server: string;
  negative: boolean;
}

export type PmipEvent =
  | RegistrationSentEvent
  | ReplyReceivedEvent
  | RegistrationOutcomeEvent
  | TimeSyncEvent
  | SecurityViolationEvent
  | ReplyDiscardedEvent
  | ClientMovedEvent
  | ClientStateEvent
  | ClientRemovedEvent
  | ArpSentEvent
  | AdvertisementReceivedEvent
  | AgentRebootDetectedEvent
  | SolicitationSentEvent
  | RequestReceivedEvent
  | RequestRelayedEvent
  | ReplySentEvent
  | RequestDeniedEvent
  | BindingEvent
  | VisitorEvent
  | ReplyDroppedEvent
  | AdvertisementSentEvent
  | MalformedDatagramEvent
  | LenientDecodeEvent
  | SubnetMapUpdatedEvent
  | AapReachabilityEvent
  | AapFailoverEvent
  | AapPushRetriedEvent
  | AapHandedOverEvent
  | AapReconciledEvent
  | HomeAgentProbeEvent
  | AapMessageRefusedEvent
  | RadiusExchangeEvent
  | RadiusFailoverEvent
  | RadiusCacheHitEvent;

export type PmipEventType = PmipEvent['type'];

/** Where the engine sends its events. The collector subscribes; tests record. */
export type EventSink = (event: PmipEvent) => void;
