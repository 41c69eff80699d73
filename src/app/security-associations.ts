/**
 * The site's SA sources from the configuration: the local bindings (keys in any of the notations
 * of src/pmip/security/key.ts) and, when `securityAssociations.radius` is configured, the RADIUS
 * provider, chained in the configured order for the access points. Home agents use local
 * bindings only.
 */
import type { SiteConfig } from '../config/schema.ts';
import type { Scheduler } from '../pmip/runtime/scheduler.ts';
import { parseKeyNotation } from '../pmip/security/key.ts';
import type { RadiusServer } from '../pmip/security/radius/client.ts';
import { RadiusSecurityAssociations } from '../pmip/security/radius/provider.ts';
import {
  LocalSecurityAssociations,
  SecurityAssociationChain,
  SecurityAssociationError,
  type LocalBinding,
  type SecurityAssociationProvider,
} from '../pmip/security/store.ts';

type RadiusConfig = NonNullable<SiteConfig['securityAssociations']['radius']>;
type LocalConfig = SiteConfig['securityAssociations']['local'];

const RADIUS_PORT = 1812;

/** Local bindings from the configuration: the key notation turned into bytes, never kept as text. */
export function localBindings(local: LocalConfig, field = 'securityAssociations.local'): LocalBinding[] {
  return local.map((b, i) => {
    const parsed = parseKeyNotation(b.key);
    if (!parsed.ok) throw new SecurityAssociationError(`${field}[${i}].key: ${parsed.rule}`);
    return {
      address: b.address,
      ...(b.rangeEnd !== undefined ? { rangeEnd: b.rangeEnd } : {}),
      spi: b.spi,
      key: parsed.key,
      algorithm: b.algorithm,
      replay: b.replay,
      replayWindowSeconds: b.replayWindowSeconds,
    };
  });
}

/** The configured servers, in order, each with its secret and label. */
export function radiusServers(r: RadiusConfig): RadiusServer[] {
  const list = r.servers ?? (r.server !== undefined ? [{ address: r.server }] : []);
  return list.map((s) => {
    const [address, port] = s.address.split(':');
    const p = port === undefined ? RADIUS_PORT : Number(port);
    return {
      name: 'name' in s && s.name !== undefined ? s.name : `${address}:${p}`,
      address: address!,
      port: p,
      secret: ('secret' in s ? s.secret : undefined) ?? r.secret!,
    };
  });
}

export function radiusProvider(r: RadiusConfig, scheduler: Scheduler): RadiusSecurityAssociations {
  return new RadiusSecurityAssociations({
    servers: radiusServers(r),
    password: r.password,
    userName: r.userName,
    attributeStyle: r.attributeStyle,
    timeoutMs: r.timeoutMs,
    retries: r.retries,
    holdDownMs: r.holdDownSeconds * 1000,
    messageAuthenticator: r.messageAuthenticator,
    cacheSeconds: r.cacheSeconds,
    negativeCacheSeconds: r.negativeCacheSeconds,
    algorithm: r.algorithm,
    replay: r.replay,
    replayWindowSeconds: r.replayWindowSeconds,
    scheduler,
  });
}

export interface SiteSecurityAssociations {
  /** What the access points ask: local and RADIUS in the configured order. */
  accessPoints: SecurityAssociationProvider;
  local: LocalSecurityAssociations;
  radius?: RadiusSecurityAssociations;
}

export function siteSecurityAssociations(
  sa: SiteConfig['securityAssociations'],
  scheduler: Scheduler,
): SiteSecurityAssociations {
  const local = new LocalSecurityAssociations(localBindings(sa.local));
  if (!sa.radius) return { accessPoints: local, local };
  const radius = radiusProvider(sa.radius, scheduler);
  const order = sa.radius.order;
  const providers =
    order === 'radius-only' ? [radius] : order === 'radius-first' ? [radius, local] : [local, radius];
  return { accessPoints: new SecurityAssociationChain(providers), local, radius };
}
