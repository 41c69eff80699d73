/**
 * Every default of the site configuration, once. The schema (src/config/*.ts) applies them when a
 * field is left out; constructors elsewhere (access point, agents, RADIUS client, event log) use
 * the same constants for options their callers leave out, so a default changes in one place.
 * docs/configuration.md lists them for the user.
 */

/** The Mobile IP registration port (RFC 5944 section 3.1: UDP 434). */
export const MOBILE_IP_REGISTRATION_PORT = 434;

/** One security association's defaults (local bindings, per-node SAs, RADIUS-supplied SAs). */
export const SECURITY_ASSOCIATION_DEFAULTS = {
  algorithm: 'prefix-suffix',
  replay: 'timestamp',
  replayWindowSeconds: 7,
} as const;

export const ACCESS_POINT_DEFAULTS = {
  mode: 'root',
  pmip: true,
  registrationPort: 0,
  advertisementPort: 0,
  homeAgentPort: MOBILE_IP_REGISTRATION_PORT,
  foreignAgentPort: MOBILE_IP_REGISTRATION_PORT,
  /** The foreign agent named under an access point. */
  foreignAgentServicePort: MOBILE_IP_REGISTRATION_PORT,
  colocatedCareOfAddress: false,
  discovery: 'udp',
  lifetime: 600,
  retransmitInitialMs: 1000,
  retransmitMaxMs: 16000,
  maxRetransmissions: 3,
  renewFraction: 0.8,
  reverseTunnel: false,
  gre: false,
} as const;

export const SSID_DEFAULTS = { pmip: true } as const;

export const RADIUS_DEFAULTS = {
  /** The authentication port when an address names none (RFC 2865 section 3). */
  port: 1812,
  userName: 'home-address',
  order: 'local-first',
  attributeStyle: 'auto',
  timeoutMs: 3000,
  retries: 2,
  holdDownSeconds: 30,
  cacheSeconds: 300,
  negativeCacheSeconds: 30,
  messageAuthenticator: true,
  ...SECURITY_ASSOCIATION_DEFAULTS,
} as const;

/** Agent advertisements over UDP (home and foreign agents). */
export const ADVERTISEMENT_DEFAULTS = {
  intervalMs: 0,
  port: 0,
  initialSequence: 0,
  /** Foreign agents only: the R and B flags of RFC 5944 section 2.1.1. */
  registrationRequired: true,
  busy: false,
} as const;

export const HOME_AGENT_DEFAULTS = {
  port: MOBILE_IP_REGISTRATION_PORT,
  listenOnBroadcast: false,
  maxLifetime: 1800,
  simultaneousBindings: false,
  maxSimultaneousBindings: 5,
  encapsulations: { gre: true, minimal: true },
  reverseTunnel: true,
} as const;

export const FOREIGN_AGENT_DEFAULTS = {
  port: MOBILE_IP_REGISTRATION_PORT,
  maxLifetime: 1800,
  encapsulations: { gre: false, minimal: false },
  reverseTunnel: false,
  homeAgentPort: MOBILE_IP_REGISTRATION_PORT,
  pendingTimeoutMs: 7000,
  maxPending: 10_000,
  maxVisitors: 10_000,
  /** The relay token buckets when `relayRateLimit` leaves a rate or burst out (over them: 66). */
  relayRateLimit: {
    perSourcePerSecond: 200,
    perSourceBurst: 1000,
    overallPerSecond: 2000,
    overallBurst: 5000,
  },
} as const;

export const SITE_DEFAULTS = { name: 'site' } as const;

export const AAP_DEFAULTS = { port: 6500 } as const;

export const ASSOCIATIONS_HTTP_DEFAULTS = { listen: '127.0.0.1:9435' } as const;

export const PROMETHEUS_DEFAULTS = { listen: '127.0.0.1:9434' } as const;

export const LOGGING_DEFAULTS = {
  level: 'info',
  /** Engine problems per cause: at most `lines` lines per `windowSeconds`. */
  rateLimit: { lines: 5, windowSeconds: 10 },
} as const;

export { INFLUXDB_DEFAULTS } from './influxdb.ts';
