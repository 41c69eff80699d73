/**
 * Security associations from RADIUS servers: a SecurityAssociationProvider that asks the
 * configured servers (RadiusClient) for a client's SA, reads it from the Access-Accept in the
 * configured attribute style (attributes.ts), and caches accepts and rejects (cache.ts). A reject,
 * a timeout of every server or an unusable answer throws a SecurityAssociationUnavailable whose
 * cause the access point puts into the attempt's outcome.
 */
import type { AuthAlgorithm } from '../../wire/auth.ts';
import type { PmipEvent, ReplayMode } from '../../events.ts';
import type { Scheduler } from '../../runtime/scheduler.ts';
import {
  makeSa,
  SecurityAssociationUnavailable,
  type SecurityAssociationDescription,
  type SecurityAssociationLookup,
  type SecurityAssociationLookupOptions,
  type SecurityAssociationProvider,
} from '../store.ts';
import { AttributeError, securityAssociationFromAccept, type AttributeStyle } from './attributes.ts';
import { RadiusSaCache } from './cache.ts';
import { RadiusClient, type RadiusServer } from './client.ts';

export const RADIUS_USER_NAMES = ['home-address', 'nai'] as const;
export type RadiusUserName = (typeof RADIUS_USER_NAMES)[number];

export interface RadiusProviderOptions {
  servers: RadiusServer[];
  password: string;
  /** What goes into User-Name: the client's home address, or its NAI (the address when it has none). */
  userName: RadiusUserName;
  attributeStyle: AttributeStyle;
  timeoutMs: number;
  retries: number;
  holdDownMs: number;
  messageAuthenticator: boolean;
  cacheSeconds: number;
  negativeCacheSeconds: number;
  /** For what the attributes leave out (3GPP2 sends neither algorithm nor replay mode). */
  algorithm: AuthAlgorithm;
  replay: ReplayMode;
  replayWindowSeconds: number;
  scheduler: Scheduler;
  emit?: (e: PmipEvent) => void;
}

/** What `sa lookup` and the pages may say about where an SA came from. */
export interface RadiusLookupInfo {
  server: string;
  attributeStyle: 'cisco' | '3gpp2';
  cached: boolean;
}

export class RadiusSecurityAssociations implements SecurityAssociationProvider {
  readonly name = 'radius';
  private readonly client: RadiusClient;
  private readonly cache: RadiusSaCache;
  private readonly inFlight = new Map<string, Promise<SecurityAssociationLookup>>();

  private sink: ((e: PmipEvent) => void) | undefined;

  constructor(private readonly o: RadiusProviderOptions) {
    this.sink = o.emit;
    this.client = new RadiusClient({ ...o, emit: (e) => this.sink?.(e) });
    this.cache = new RadiusSaCache(o.cacheSeconds * 1000, o.negativeCacheSeconds * 1000);
  }

  get servers(): readonly RadiusServer[] {
    return this.client.servers;
  }

  private userNameFor(address: string, options?: SecurityAssociationLookupOptions): string {
    return this.o.userName === 'nai' && options?.nai ? options.nai : address;
  }

  async lookup(
    address: string,
    options?: SecurityAssociationLookupOptions,
  ): Promise<SecurityAssociationLookup> {
    const userName = this.userNameFor(address, options);
    const requester = options?.requester ?? 'sa-lookup';
    const now = this.o.scheduler.now();
    if (!options?.bypassCache) {
      const hit = this.cache.get(userName, now);
      if (hit) {
        this.sink?.({
          type: 'radius-cache-hit',
          server: hit.server,
          negative: hit.kind === 'reject',
          time: now,
          node: requester,
          nodeKind: 'access-point',
        });
        if (hit.kind === 'reject') throw hit.error;
        return hit.found;
      }
    }
    const running = this.inFlight.get(userName);
    if (running && !options?.bypassCache) return running;
    const p = this.fetch(address, userName, requester).finally(() => {
      if (this.inFlight.get(userName) === p) this.inFlight.delete(userName);
    });
    this.inFlight.set(userName, p);
    return p;
  }

  private async fetch(
    address: string,
    userName: string,
    requester: string,
  ): Promise<SecurityAssociationLookup> {
    try {
      const { value } = await this.client.request(userName, requester, (a) => {
        const parts = securityAssociationFromAccept(
          a.rawAttributes,
          this.o.attributeStyle,
          a.server.secret,
          a.requestAuthenticator,
        );
        try {
          const sa = makeSa(
            {
              spi: parts.spi,
              key: parts.key,
              algorithm: parts.algorithm ?? this.o.algorithm,
              replay: parts.replay ?? this.o.replay,
              replayWindowSeconds: parts.replayWindowSeconds ?? this.o.replayWindowSeconds,
            },
            'radius',
          );
          const description: SecurityAssociationDescription = {
            spi: sa.spi,
            algorithm: sa.algorithm,
            replay: sa.replay,
            replayWindowSeconds: sa.replayWindowSeconds,
            scope: address,
            source: 'radius',
            server: a.server.name,
            attributeStyle: parts.style,
            ...(parts.homeAgent !== undefined ? { homeAgent: parts.homeAgent } : {}),
          };
          return { style: parts.style, found: { sa, description }, server: a.server.name };
        } catch (e) {
          throw new AttributeError(`${parts.style} SA: ${(e as Error).message.replace(/^radius\./, '')}`);
        } finally {
          parts.key.fill(0);
        }
      });
      this.cache.putAccept(userName, value.found, value.server, this.o.scheduler.now());
      return value.found;
    } catch (e) {
      if (e instanceof SecurityAssociationUnavailable && e.reason === 'rejected')
        this.cache.putReject(userName, e, e.server, this.o.scheduler.now());
      throw e;
    }
  }

  /** The SAs in the cache (what this provider can list), with their age. */
  describe(): SecurityAssociationDescription[] {
    const now = this.o.scheduler.now();
    return this.cache.accepted(now).map((e) => ({
      ...e.found.description,
      ageSeconds: Math.max(0, Math.floor((now - e.fetchedAt) / 1000)),
    }));
  }

  /** Where the events go (the host's bus, known only once the host starts). */
  attachEvents(emit: (e: PmipEvent) => void): void {
    this.sink = emit;
  }

  clear(): void {
    this.cache.clear();
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
