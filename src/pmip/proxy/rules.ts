/** One SSID as the operating rules see it. */
export interface SsidSettings {
  name: string;
  /** PMIP enabled on this SSID (the per-SSID switch). */
  pmip: boolean;
  /** A VLAN id on this SSID: PMIP cannot be mixed with VLANs. */
  vlan?: number;
}

export interface PmipSettings {
  mode: 'root' | 'repeater';
  ssids: SsidSettings[];
  /** Authoritative access points, in order of preference. */
  aaps: string[];
  /**
   * Whether the site exchanges its subnet map with AAPs (the config's `aap` section). Without it
   * the subnet map holds the configured rows only and no AAP is needed. Default true.
   */
  subnetMapExchange?: boolean;
  /** Local SA bindings configured. */
  localBindings: number;
  /** A RADIUS server configured as an SA source. */
  radius: boolean;
  /** VLANs configured on the access point's interfaces. */
  interfaceVlans?: number[];
}

export const MAX_AAPS = 3;

export interface RuleViolation {
  path: string;
  rule: string;
}

/**
 * The operating rules of a PMIP access point (docs/configuration.md, "operating rules"): PMIP can be
 * enabled only outside repeater mode, on at least one SSID, with at least one (at most three)
 * authoritative APs when the site exchanges its subnet map (an `aap` section), with a source of
 * security associations, and never mixed with VLANs.
 * Every broken rule is reported, each naming the field and the rule.
 */
export function checkPmipRules(s: PmipSettings): RuleViolation[] {
  const out: RuleViolation[] = [];
  if (s.mode === 'repeater') out.push({ path: 'mode', rule: 'PMIP cannot be enabled in repeater mode' });
  if (!s.ssids.some((x) => x.pmip))
    out.push({ path: 'ssids', rule: 'PMIP must be enabled on at least one SSID' });
  s.ssids.forEach((x, i) => {
    if (x.pmip && x.vlan !== undefined) {
      out.push({
        path: `ssids[${i}].vlan`,
        rule: 'PMIP cannot be mixed with VLAN configuration (SSID has PMIP enabled)',
      });
    }
  });
  if ((s.interfaceVlans?.length ?? 0) > 0) {
    out.push({ path: 'vlans', rule: 'PMIP cannot be mixed with VLAN configuration on the interfaces' });
  }
  if (s.aaps.length === 0 && s.subnetMapExchange !== false)
    out.push({ path: 'aaps', rule: 'at least one authoritative access point must be configured' });
  if (s.aaps.length > MAX_AAPS)
    out.push({ path: 'aaps', rule: `at most ${MAX_AAPS} authoritative access points` });
  if (s.localBindings === 0 && !s.radius) {
    out.push({
      path: 'securityAssociations',
      rule: 'a source of security associations is required (local bindings or RADIUS)',
    });
  }
  return out;
}

export class PmipRuleError extends Error {
  override readonly name = 'PmipRuleError';
  constructor(
    readonly violations: RuleViolation[],
    prefix = '',
  ) {
    super(violations.map((v) => `${prefix}${v.path}: ${v.rule}`).join('\n'));
  }
}

export function assertPmipRules(s: PmipSettings, prefix = ''): void {
  const v = checkPmipRules(s);
  if (v.length > 0) throw new PmipRuleError(v, prefix);
}
