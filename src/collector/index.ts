/** The collector: statistics state fed by PmipEvents, read by every exporter. */
export { Collector } from './collector.ts';
export type { ClientQuery, SubnetMapView } from './collector.ts';
export { CollectorConfigError, OTHER } from './config.ts';
export type { AgentConfig, CollectorConfig, CollectorViews } from './config.ts';
export type { ClientView } from './clients.ts';
export { CLIENT_STATES } from './clients.ts';
export type { AgentEntryView } from './agent-tables.ts';
export type { AapStatus } from './aaps.ts';
export {
  Fa,
  Ha,
  Mn,
  REGISTRATION_KINDS,
  REPLY_DISCARD_REASONS,
  SECURITY_VIOLATION_REASONS,
} from './counters.ts';
export { ROUND_TRIP_BUCKETS } from './round-trip.ts';
export type { RoundTripSnapshot } from './round-trip.ts';
export { columnTotal, counterOf } from './snapshot.ts';
export type * from './snapshot.ts';
