/**
 * The words the views speak: what an exporter needs of the engine's contract (event types, client
 * states, outcome kinds, reply-code meanings, the SA description shape), handed on by the
 * collector so that no file under src/exporters/ imports src/pmip/. The collector is the views'
 * one source; this module adds nothing of its own, it only names what the views may use.
 */
export {
  ARP_KINDS,
  EVENTS_VERSION,
  HA_PROBE_OUTCOMES,
  MOVEMENTS,
  RADIUS_ATTRIBUTE_STYLES,
  RADIUS_EXCHANGE_RESULTS,
  REPLY_DROP_REASONS,
} from '../pmip/events.ts';
export type {
  ClientState,
  PmipEvent,
  RadiusExchangeResult,
  RegistrationOutcomeEvent,
  RegistrationOutcomeKind,
} from '../pmip/events.ts';
export { replyCode } from '../pmip/reply-codes.ts';
export type { ReplyCodeInfo, ReplyIssuer } from '../pmip/reply-codes.ts';
export type { SecurityAssociationDescription } from '../pmip/security/store.ts';
