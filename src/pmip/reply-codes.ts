/**
 * The Registration Reply code table (RFC 5944 section 3.4, RFC 3012, RFC 3024, RFC 3543, RFC 4917,
 * RFC 5563). Every code name and label elsewhere in the project comes from this one table. It
 * stands beside the event contract (events.ts): the codec, the engine, the collector and the
 * views all read it from here.
 */
import type { ReplyIssuerKind } from './events.ts';

/** Who issues a code: the event contract's list (REPLY_ISSUERS). */
export type ReplyIssuer = ReplyIssuerKind;

export interface ReplyCodeInfo {
  readonly code: number;
  /** Stable snake_case name, safe as a Prometheus label value. */
  readonly reason: string;
  /** Human-readable text for pages and logs. */
  readonly description: string;
  /** Who issues the code: the foreign agent (64-127) or the home agent (0-1, 128-191). */
  readonly issuer: ReplyIssuer;
  readonly accepted: boolean;
  /** False for codes missing from the table (still classified by their range). */
  readonly known: boolean;
}

const table: Array<[number, string, string]> = [
  [0, 'accepted', 'registration accepted'],
  [
    1,
    'accepted_no_simultaneous_bindings',
    'registration accepted, but simultaneous mobility bindings unsupported',
  ],
  // Denied by the foreign agent
  [64, 'fa_unspecified', 'reason unspecified'],
  [65, 'fa_administratively_prohibited', 'administratively prohibited'],
  [66, 'fa_insufficient_resources', 'insufficient resources'],
  [67, 'fa_mn_failed_authentication', 'mobile node failed authentication'],
  [68, 'fa_ha_failed_authentication', 'home agent failed authentication'],
  [69, 'fa_lifetime_too_long', 'requested lifetime too long'],
  [70, 'fa_poorly_formed_request', 'poorly formed request'],
  [71, 'fa_poorly_formed_reply', 'poorly formed reply'],
  [72, 'fa_encapsulation_unavailable', 'requested encapsulation unavailable'],
  [73, 'fa_vj_compression_unavailable', 'requested Van Jacobson compression unavailable'],
  [74, 'fa_reverse_tunnel_unavailable', 'requested reverse tunnel unavailable'],
  [75, 'fa_reverse_tunnel_mandatory', 'reverse tunnel is mandatory and T bit not set'],
  [76, 'fa_mobile_node_too_distant', 'mobile node too distant'],
  [77, 'fa_invalid_care_of_address', 'invalid care-of address'],
  [78, 'fa_registration_timeout', 'registration timeout'],
  [79, 'fa_delivery_style_not_supported', 'delivery style not supported'],
  [80, 'fa_home_network_unreachable', 'home network unreachable (ICMP error received)'],
  [81, 'fa_ha_host_unreachable', 'home agent host unreachable (ICMP error received)'],
  [82, 'fa_ha_port_unreachable', 'home agent port unreachable (ICMP error received)'],
  [88, 'fa_ha_unreachable', 'home agent unreachable (other ICMP error received)'],
  [89, 'fa_vendor_specific', 'vendor-specific reason'],
  [90, 'fa_nonzero_ha_address_required', 'non-zero home agent address required'],
  [96, 'fa_nonzero_home_address_required', 'non-zero home address required'],
  [97, 'fa_missing_nai', 'missing NAI'],
  [98, 'fa_missing_home_agent', 'missing home agent'],
  [99, 'fa_missing_home_address', 'missing home address'],
  [
    100,
    'fa_unknown_cvse_from_mn',
    'unsupported critical vendor/organization specific extension from the mobile node',
  ],
  [
    101,
    'fa_unknown_cvse_from_ha',
    'unsupported critical vendor/organization specific extension from the home agent',
  ],
  [104, 'fa_unknown_challenge', 'unknown challenge'],
  [105, 'fa_missing_challenge', 'missing challenge'],
  [106, 'fa_stale_challenge', 'stale challenge'],
  [107, 'fa_missing_mn_fa_key_generation_nonce', 'missing MN-FA key generation nonce reply extension'],
  [108, 'fa_mn_failed_aaa_authentication', 'mobile node failed AAA authentication'],
  [109, 'fa_ha_sent_wrong_challenge', 'home agent sent wrong challenge in reply'],
  // Denied by the home agent
  [128, 'ha_unspecified', 'reason unspecified'],
  [129, 'ha_administratively_prohibited', 'administratively prohibited'],
  [130, 'ha_insufficient_resources', 'insufficient resources'],
  [131, 'ha_mn_failed_authentication', 'mobile node failed authentication'],
  [132, 'ha_fa_failed_authentication', 'foreign agent failed authentication'],
  [133, 'ha_identification_mismatch', 'registration identification mismatch'],
  [134, 'ha_poorly_formed_request', 'poorly formed request'],
  [135, 'ha_too_many_simultaneous_bindings', 'too many simultaneous mobility bindings'],
  [136, 'ha_unknown_home_agent_address', 'unknown home agent address'],
  [137, 'ha_reverse_tunnel_unavailable', 'requested reverse tunnel unavailable'],
  [138, 'ha_reverse_tunnel_mandatory', 'reverse tunnel is mandatory and T bit not set'],
  [139, 'ha_encapsulation_unavailable', 'requested encapsulation unavailable'],
  [
    140,
    'ha_unknown_cvse_from_mn',
    'unsupported critical vendor/organization specific extension from the mobile node',
  ],
  [
    141,
    'ha_unknown_cvse_from_fa',
    'unsupported critical vendor/organization specific extension from the foreign agent',
  ],
  [142, 'ha_udp_encapsulation_unavailable', 'UDP encapsulation unavailable'],
  [143, 'ha_register_with_redirected_ha', 'register with redirected home agent'],
  [144, 'ha_mn_failed_aaa_authentication', 'mobile node failed AAA authentication'],
  [149, 'ha_pmip_unsupported', 'proxy registration not supported'],
  [150, 'ha_pmip_disallowed', 'proxy registrations from this foreign agent disallowed'],
];

function issuerOf(code: number): ReplyIssuer {
  if (code <= 1 || (code >= 128 && code <= 191)) return 'home-agent';
  if (code >= 64 && code <= 127) return 'foreign-agent';
  return 'unknown';
}

export const REPLY_CODES: ReadonlyMap<number, ReplyCodeInfo> = new Map(
  table.map(([code, reason, description]) => [
    code,
    Object.freeze({ code, reason, description, issuer: issuerOf(code), accepted: code <= 1, known: true }),
  ]),
);

const unknownCache = new Map<number, ReplyCodeInfo>();

/** Every byte's answer once looked up: an array read per reply instead of a map probe. */
const BY_BYTE = new Array<ReplyCodeInfo | undefined>(256).fill(undefined);

/** Looks a code up; codes missing from the table are classified by range and never accepted. */
export function replyCode(code: number): ReplyCodeInfo {
  // A reply code is one byte (RFC 5944 section 3.4): 0-255 read from the array after the first time.
  const isByte = (code & 0xff) === code;
  const hit = isByte ? BY_BYTE[code] : undefined;
  if (hit !== undefined) return hit;
  const info = lookUpCode(code);
  if (isByte) BY_BYTE[code] = info;
  return info;
}

function lookUpCode(code: number): ReplyCodeInfo {
  const known = REPLY_CODES.get(code);
  if (known) return known;
  let info = unknownCache.get(code);
  if (!info) {
    const issuer = issuerOf(code);
    const prefix = issuer === 'home-agent' ? 'ha_' : issuer === 'foreign-agent' ? 'fa_' : '';
    info = Object.freeze({
      code,
      reason: `${prefix}unassigned_${code}`,
      description: `unassigned code ${code}`,
      issuer,
      accepted: false,
      known: false,
    });
    unknownCache.set(code, info);
  }
  return info;
}

export function isAccepted(code: number): boolean {
  return code === 0 || code === 1;
}

/** The well-known codes that the engine reacts to by name. */
export const ReplyCode = {
  accepted: 0,
  acceptedNoSimultaneousBindings: 1,
  faAdministrativelyProhibited: 65,
  faInsufficientResources: 66,
  faLifetimeTooLong: 69,
  faPoorlyFormedRequest: 70,
  faPoorlyFormedReply: 71,
  faEncapsulationUnavailable: 72,
  faReverseTunnelUnavailable: 74,
  faInvalidCareOfAddress: 77,
  faRegistrationTimeout: 78,
  haUnspecified: 128,
  haAdministrativelyProhibited: 129,
  haMnFailedAuthentication: 131,
  haFaFailedAuthentication: 132,
  haIdentificationMismatch: 133,
  haPoorlyFormedRequest: 134,
  haTooManySimultaneousBindings: 135,
  haUnknownHomeAgentAddress: 136,
  haReverseTunnelUnavailable: 137,
  haEncapsulationUnavailable: 139,
} as const;
