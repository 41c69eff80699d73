/**
 * The cross-field rules of the site configuration: what no single field can say (unique ids, one
 * socket per address and port, a home agent inside its home network, the access point operating
 * rules). They read a possibly partly invalid parse and stay silent about parts already reported.
 */
import { inSubnet, isIpv4 } from '../pmip/wire/ipv4.ts';
import { checkPmipRules } from '../pmip/proxy/rules.ts';

export interface SiteIssue {
  path: PropertyKey[];
  message: string;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The cross-field rules on a (possibly partly invalid) parsed site configuration. */
export function siteRuleIssues(site: unknown): SiteIssue[] {
  const out: SiteIssue[] = [];
  if (!isRecord(site)) return out;
  const accessPoints = Array.isArray(site.accessPoints) ? site.accessPoints : [];
  const sa = isRecord(site.securityAssociations) ? site.securityAssociations : undefined;
  const local = sa && Array.isArray(sa.local) ? sa.local : undefined;
  const ids = new Set<string>();
  let saReported = false;
  accessPoints.forEach((ap: unknown, i) => {
    if (!isRecord(ap)) return;
    if (typeof ap.id === 'string') {
      if (ids.has(ap.id))
        out.push({ path: ['accessPoints', i, 'id'], message: `duplicate access point id "${ap.id}"` });
      ids.add(ap.id);
    }
    const advertisementPort = ap.advertisementPort;
    if (Array.isArray(ap.solicitTo) && (advertisementPort === 0 || advertisementPort === undefined)) {
      ap.solicitTo.forEach((t: unknown, j) => {
        if (typeof t === 'string' && /^\d+\.\d+\.\d+\.\d+$/.test(t))
          out.push({
            path: ['accessPoints', i, 'solicitTo', j],
            message: 'must name a :port when advertisementPort is 0',
          });
      });
    }
    if (ap.colocatedCareOfAddress === true && ap.foreignAgent !== undefined)
      out.push({
        path: ['accessPoints', i, 'colocatedCareOfAddress'],
        message:
          'must not be combined with foreignAgent (a co-located care-of address needs no foreign agent)',
      });
    // The access point operating rules (src/pmip/proxy/rules.ts, docs/configuration.md), per AP.
    if (ap.pmip !== true) return;
    const ssidsWellFormed =
      Array.isArray(ap.ssids) && ap.ssids.every((x: unknown) => isRecord(x) && typeof x.pmip === 'boolean');
    const ssids = Array.isArray(ap.ssids)
      ? ap.ssids.map((x: unknown) =>
          isRecord(x)
            ? {
                name: String(x.name),
                pmip: x.pmip === true,
                ...(x.vlan !== undefined ? { vlan: Number(x.vlan) } : {}),
              }
            : { name: '', pmip: false },
        )
      : [];
    const aaps = Array.isArray(ap.aaps) ? ap.aaps.map(String) : undefined;
    const vlans = Array.isArray(ap.vlans) ? ap.vlans.map(Number) : [];
    const violations = checkPmipRules({
      mode: ap.mode === 'repeater' ? 'repeater' : 'root',
      ssids,
      aaps: aaps ?? [],
      // No `aap` section: the subnet map is the configured rows only and no AAP is needed.
      subnetMapExchange: site.aap !== undefined,
      localBindings: local?.length ?? 0,
      radius: sa?.radius !== undefined,
      interfaceVlans: vlans,
    });
    for (const v of violations) {
      if (v.path === 'ssids' && !ssidsWellFormed) continue;
      if (v.path === 'aaps' && aaps === undefined) continue;
      if (v.path === 'securityAssociations') {
        // One source of SAs serves the whole site: report it once, not per access point.
        if (local !== undefined && !saReported) out.push({ path: ['securityAssociations'], message: v.rule });
        saReported = true;
        continue;
      }
      const path: PropertyKey[] = ['accessPoints', i];
      for (const p of v.path.split(/\.|\[(\d+)\]/).filter((x) => x !== undefined && x !== ''))
        path.push(/^\d+$/.test(p) ? Number(p) : p);
      out.push({ path, message: v.rule });
    }
  });
  if (local) out.push(...rangeIssues(local, ['securityAssociations', 'local']));
  // Two listeners cannot share one address and port (0 = any free port is always fine).
  const exporters = isRecord(site.exporters) ? site.exporters : undefined;
  const prometheusListen = isRecord(exporters?.prometheus) ? exporters.prometheus.listen : undefined;
  const associations = isRecord(site.associations) ? site.associations : undefined;
  const associationsListen = isRecord(associations?.http) ? associations.http.listen : undefined;
  if (
    typeof prometheusListen === 'string' &&
    prometheusListen === associationsListen &&
    !prometheusListen.endsWith(':0')
  )
    out.push({
      path: ['associations', 'http', 'listen'],
      message: `must differ from exporters.prometheus.listen (${prometheusListen})`,
    });
  out.push(...agentRuleIssues(site, local));
  return out;
}

/** A range of SA bindings ends at or after its start. */
function rangeIssues(bindings: unknown[], at: PropertyKey[]): SiteIssue[] {
  const out: SiteIssue[] = [];
  bindings.forEach((b: unknown, i) => {
    if (!isRecord(b) || typeof b.address !== 'string' || typeof b.rangeEnd !== 'string') return;
    if (!isIpv4(b.address) || !isIpv4(b.rangeEnd)) return;
    if (ipOrder(b.rangeEnd) < ipOrder(b.address))
      out.push({ path: [...at, i, 'rangeEnd'], message: `must not be below address ${b.address}` });
  });
  return out;
}

const listOf = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const wellFormedIpv4 = (v: unknown): v is string => typeof v === 'string' && isIpv4(v);

/**
 * The rules on hosted agents and agent names: something to run, unique ids and addresses, one
 * socket per address and port, a home agent on its own home network with SAs to check requests,
 * and one name per agent address (the collector labels agents by these names).
 */
function agentRuleIssues(site: Record<string, unknown>, local: unknown[] | undefined): SiteIssue[] {
  const out: SiteIssue[] = [];
  const accessPoints = listOf(site.accessPoints);
  const homeAgents = listOf(site.homeAgents);
  const foreignAgents = listOf(site.foreignAgents);
  if (
    Array.isArray(site.accessPoints) &&
    accessPoints.length === 0 &&
    Array.isArray(site.homeAgents) &&
    homeAgents.length === 0 &&
    Array.isArray(site.foreignAgents) &&
    foreignAgents.length === 0
  )
    out.push({
      path: ['accessPoints'],
      message: 'at least one access point is required, or agents to host (homeAgents, foreignAgents)',
    });

  // Ids: unique over access points and agents (the access points among themselves: see above).
  const nodeIds = new Map<string, string>();
  accessPoints.forEach((ap, i) => {
    if (isRecord(ap) && typeof ap.id === 'string' && !nodeIds.has(ap.id))
      nodeIds.set(ap.id, `accessPoints[${i}].id`);
  });
  const kinds = [
    { field: 'homeAgents', agents: homeAgents },
    { field: 'foreignAgents', agents: foreignAgents },
  ] as const;
  for (const { field, agents } of kinds) {
    const addresses = new Map<string, number>();
    agents.forEach((a, i) => {
      if (!isRecord(a)) return;
      if (typeof a.id === 'string') {
        const other = nodeIds.get(a.id);
        if (other !== undefined)
          out.push({ path: [field, i, 'id'], message: `duplicate id "${a.id}" (also ${other})` });
        else nodeIds.set(a.id, `${field}[${i}].id`);
      }
      if (wellFormedIpv4(a.address)) {
        const j = addresses.get(a.address);
        if (j !== undefined)
          out.push({
            path: [field, i, 'address'],
            message: `duplicate address ${a.address} (also ${field}[${j}])`,
          });
        else addresses.set(a.address, i);
      }
    });
  }

  // Sockets: one per address and fixed port (0 = any free port never collides).
  const binds: Array<{ address: string; port: unknown; path: PropertyKey[]; registration?: string }> = [];
  accessPoints.forEach((ap, i) => {
    if (!isRecord(ap) || !wellFormedIpv4(ap.address)) return;
    binds.push({
      address: ap.address,
      port: ap.registrationPort,
      path: ['accessPoints', i, 'registrationPort'],
    });
    binds.push({
      address: ap.address,
      port: ap.advertisementPort,
      path: ['accessPoints', i, 'advertisementPort'],
    });
  });
  for (const { field, agents } of kinds)
    agents.forEach((a, i) => {
      if (!isRecord(a) || !wellFormedIpv4(a.address)) return;
      binds.push({ address: a.address, port: a.port, path: [field, i, 'port'], registration: field });
      if (isRecord(a.advertisements))
        binds.push({
          address: a.address,
          port: a.advertisements.port,
          path: [field, i, 'advertisements', 'port'],
        });
    });
  const bound = new Map<string, (typeof binds)[number]>();
  for (const b of binds) {
    if (typeof b.port !== 'number' || !Number.isInteger(b.port) || b.port <= 0 || b.port > 65535) continue;
    const key = `${b.address}:${b.port}`;
    const other = bound.get(key);
    if (!other) bound.set(key, b);
    // Two agents of one kind on one address: the duplicate address rule has said it.
    else if (b.registration === undefined || b.registration !== other.registration)
      out.push({ path: b.path, message: `${key} is bound twice (also ${formatIssuePath(other.path)})` });
  }

  homeAgents.forEach((h, i) => {
    if (!isRecord(h)) return;
    // The home network holds the home agent's own address.
    const m = typeof h.subnet === 'string' ? /^(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})$/.exec(h.subnet) : null;
    if (m && isIpv4(m[1]!) && Number(m[2]) <= 32 && wellFormedIpv4(h.address)) {
      if (!inSubnet(ipOrder(h.address), ipOrder(m[1]!), Number(m[2])))
        out.push({
          path: ['homeAgents', i, 'subnet'],
          message: `must contain the home agent's address ${h.address}`,
        });
    }
    // Its SAs: its own list when given, else the file's local bindings.
    const own = h.securityAssociations;
    if (own !== undefined && !Array.isArray(own)) return;
    if (own !== undefined) out.push(...rangeIssues(own, ['homeAgents', i, 'securityAssociations']));
    if (
      (own !== undefined && own.length === 0) ||
      (own === undefined && local !== undefined && local.length === 0)
    )
      out.push({
        path: ['homeAgents', i, 'securityAssociations'],
        message: 'a home agent needs security associations: its own list, or securityAssociations.local',
      });
  });

  // One name per agent address, one address per name: hosted agents first, then the names given
  // to subnet map rows (home agents) and to static foreign agents.
  const names = (
    field: 'homeAgents' | 'foreignAgents',
    hosted: unknown[],
    named: Array<{ name: unknown; address: unknown; path: PropertyKey[] }>,
  ): void => {
    const byAddress = new Map<string, { name: string; where: string }>();
    const byName = new Map<string, { address: string; where: string }>();
    hosted.forEach((a, i) => {
      if (!isRecord(a) || typeof a.id !== 'string' || !wellFormedIpv4(a.address)) return;
      const where = `${field}[${i}].id`;
      if (!byAddress.has(a.address)) byAddress.set(a.address, { name: a.id, where });
      if (!byName.has(a.id)) byName.set(a.id, { address: a.address, where });
    });
    for (const n of named) {
      if (typeof n.name !== 'string' || !wellFormedIpv4(n.address)) continue;
      const where = formatIssuePath(n.path);
      const a = byAddress.get(n.address);
      const b = byName.get(n.name);
      if (a && a.name !== n.name)
        out.push({ path: n.path, message: `${n.address} is already named "${a.name}" (${a.where})` });
      else if (b && b.address !== n.address)
        out.push({ path: n.path, message: `"${n.name}" already names ${b.address} (${b.where})` });
      else {
        if (!a) byAddress.set(n.address, { name: n.name, where });
        if (!b) byName.set(n.name, { address: n.address, where });
      }
    }
  };
  names(
    'homeAgents',
    homeAgents,
    listOf(site.subnetMap).flatMap((r, i) =>
      isRecord(r) ? [{ name: r.name, address: r.homeAgent, path: ['subnetMap', i, 'name'] }] : [],
    ),
  );
  names(
    'foreignAgents',
    foreignAgents,
    accessPoints.flatMap((ap, i) =>
      isRecord(ap) && isRecord(ap.foreignAgent)
        ? [
            {
              name: ap.foreignAgent.name,
              address: ap.foreignAgent.address,
              path: ['accessPoints', i, 'foreignAgent', 'name'],
            },
          ]
        : [],
    ),
  );
  return out;
}

/** `['homeAgents', 0, 'port']` -> `homeAgents[0].port` (as the problems name fields). */
function formatIssuePath(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${String(p)}` : String(p);
  return s;
}

function ipOrder(s: string): number {
  return s.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}
