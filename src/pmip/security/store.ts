import { ipv4ToUint32 } from '../wire/ipv4.ts';
import type { AuthAlgorithm } from '../wire/auth.ts';
import type { PmipEvent, ReplayMode } from '../events.ts';

/**
 * Security associations (SPI, key, algorithm, replay protection) between a mobile client and its
 * home agent. Key material never leaves this module except into the authenticator computations
 * that `SecurityAssociation.key` feeds: descriptions, errors and logs carry everything but the key.
 */
export interface SecurityAssociation {
  spi: number;
  /** Binary key (16 bytes usually). Only the wire codec reads it. */
  readonly key: Buffer;
  algorithm: AuthAlgorithm;
  replay: ReplayMode;
  /** Timestamp mode: accepted clock difference, seconds (RFC 5944 suggests 7). */
  replayWindowSeconds: number;
}

/** What may be shown about an SA: everything but the key. */
export interface SecurityAssociationDescription {
  spi: number;
  algorithm: AuthAlgorithm;
  replay: ReplayMode;
  replayWindowSeconds: number;
  /** `a.b.c.d` for one address, `a.b.c.d-e.f.g.h` for a range. */
  scope: string;
  source: 'local' | 'radius';
  /** RADIUS only: the configured name of the server that sent it. */
  server?: string;
  /** RADIUS only: which attributes carried it. */
  attributeStyle?: 'cisco' | '3gpp2';
  /** RADIUS only: the home agent address the server named (3GPP2-Home-Agent-IP-Address). */
  homeAgent?: string;
  /** RADIUS only: seconds since it was fetched. */
  ageSeconds?: number;
}

export interface SecurityAssociationLookup {
  sa: SecurityAssociation;
  description: SecurityAssociationDescription;
}

/** What a lookup may say besides the address. */
export interface SecurityAssociationLookupOptions {
  /** The client's NAI (RFC 2794), when its association gave one: a RADIUS User-Name. */
  nai?: string;
  /** Ask the source again, past any cache (an operator's Refresh, `sa lookup`). */
  bypassCache?: boolean;
  /** The access point asking (the `node` of the events a RADIUS lookup emits). */
  requester?: string;
}

/** A source of SAs for client addresses: local bindings, RADIUS, a cache in front of either. */
export interface SecurityAssociationProvider {
  readonly name: string;
  /**
   * The SA for a client address, or undefined when this provider has none. A provider that could
   * not answer (a RADIUS reject, timeout or malformed answer) throws a SecurityAssociationUnavailable.
   */
  lookup(
    address: string,
    options?: SecurityAssociationLookupOptions,
  ): Promise<SecurityAssociationLookup | undefined> | SecurityAssociationLookup | undefined;
  /** Every SA this provider can list (RADIUS lists the ones it cached). */
  describe(): SecurityAssociationDescription[];
}

/**
 * A description's fields and nothing else, as a fresh object: whatever object holds them (a
 * provider's entry, a view), no key and no other field comes out. `ageSeconds` is left to callers
 * that show it.
 */
export function describedFields(d: SecurityAssociationDescription): SecurityAssociationDescription {
  return {
    spi: d.spi,
    algorithm: d.algorithm,
    replay: d.replay,
    replayWindowSeconds: d.replayWindowSeconds,
    scope: d.scope,
    source: d.source,
    ...(d.server !== undefined ? { server: d.server } : {}),
    ...(d.attributeStyle !== undefined ? { attributeStyle: d.attributeStyle } : {}),
    ...(d.homeAgent !== undefined ? { homeAgent: d.homeAgent } : {}),
  };
}

export const MIN_CONFIGURED_SPI = 256;

export class SecurityAssociationError extends Error {
  override readonly name = 'SecurityAssociationError';
}

/** Why a remote source gave no SA: label values of the access point's outcome (docs/events.md). */
export const SA_UNAVAILABLE_CAUSES = ['rejected', 'timeout', 'malformed', 'bad-authenticator'] as const;
export type SecurityAssociationUnavailableCause = (typeof SA_UNAVAILABLE_CAUSES)[number];

/**
 * A source that was asked and could not give an SA: the RADIUS server rejected the client, no
 * server answered, or the answer was unusable. The message names the server, never a secret.
 */
export class SecurityAssociationUnavailable extends Error {
  override readonly name = 'SecurityAssociationUnavailable';
  constructor(
    readonly reason: SecurityAssociationUnavailableCause,
    readonly server: string,
    message: string,
  ) {
    super(message);
  }
}

export interface LocalBinding {
  /** One address, or the first of a range. */
  address: string;
  /** Last address of the range (inclusive); absent for a single address. */
  rangeEnd?: string;
  spi: number;
  /** Key as exactly 32 hex digits (the original form); parsed and kept as bytes. */
  keyHex?: string;
  /** Key as bytes, of any length (the `hex:` and `text:` notations, RADIUS): copied. */
  key?: Uint8Array;
  algorithm?: AuthAlgorithm;
  replay?: ReplayMode;
  replayWindowSeconds?: number;
}

interface BindingEntry {
  first: number;
  last: number;
  sa: SecurityAssociation;
  description: SecurityAssociationDescription;
}

function keyOf(b: Pick<LocalBinding, 'keyHex' | 'key'>, field: string): Buffer {
  if (b.key !== undefined) {
    if (b.key.length === 0) throw new SecurityAssociationError(`${field}.key: must be at least 1 byte`);
    return Buffer.from(b.key);
  }
  const hex = (b.keyHex ?? '').trim();
  if (!/^([0-9a-fA-F]{2})+$/.test(hex)) {
    throw new SecurityAssociationError(`${field}.key: must be hex digits (32 for a 128-bit key)`);
  }
  const key = Buffer.from(hex, 'hex');
  if (key.length !== 16)
    throw new SecurityAssociationError(`${field}.key: must be 16 bytes (32 hex digits), got ${key.length}`);
  return key;
}

/** An SA from its parts; the key is kept non-enumerable. Used by every provider. */
export function makeSa(
  b: Pick<LocalBinding, 'spi' | 'keyHex' | 'key' | 'algorithm' | 'replay' | 'replayWindowSeconds'>,
  field: string,
): SecurityAssociation {
  if (!Number.isInteger(b.spi) || b.spi < MIN_CONFIGURED_SPI || b.spi > 0xffffffff) {
    throw new SecurityAssociationError(
      `${field}.spi: ${b.spi} must be an integer from 256 to 4294967295 (0-255 are reserved)`,
    );
  }
  const key = keyOf(b, field);
  const sa: SecurityAssociation = {
    spi: b.spi,
    key,
    algorithm: b.algorithm ?? 'prefix-suffix',
    replay: b.replay ?? 'timestamp',
    replayWindowSeconds: b.replayWindowSeconds ?? 7,
  };
  // Keep the key out of JSON.stringify, util.inspect and structured logs.
  Object.defineProperty(sa, 'key', { value: key, enumerable: false, writable: false });
  return sa;
}

/**
 * Local SA bindings for single addresses and address ranges. A single-address binding wins over
 * a range; among ranges the narrowest wins.
 */
export class LocalSecurityAssociations implements SecurityAssociationProvider {
  readonly name = 'local';
  private singles = new Map<number, BindingEntry>();
  private ranges: BindingEntry[] = [];

  constructor(bindings: LocalBinding[] = []) {
    bindings.forEach((b, i) => this.add(b, `bindings[${i}]`));
  }

  add(b: LocalBinding, field = 'binding'): void {
    const first = ipv4ToUint32(b.address, `${field}.address`);
    const last = b.rangeEnd === undefined ? first : ipv4ToUint32(b.rangeEnd, `${field}.rangeEnd`);
    if (last < first)
      throw new SecurityAssociationError(`${field}.rangeEnd: ${b.rangeEnd} is below the start ${b.address}`);
    const sa = makeSa(b, field);
    const description: SecurityAssociationDescription = {
      spi: sa.spi,
      algorithm: sa.algorithm,
      replay: sa.replay,
      replayWindowSeconds: sa.replayWindowSeconds,
      scope: b.rangeEnd === undefined ? b.address : `${b.address}-${b.rangeEnd}`,
      source: 'local',
    };
    const entry = { first, last, sa, description };
    if (first === last && b.rangeEnd === undefined) this.singles.set(first, entry);
    else {
      this.ranges.push(entry);
      this.ranges.sort((a, z) => a.last - a.first - (z.last - z.first));
    }
  }

  lookup(address: string): SecurityAssociationLookup | undefined {
    const n = ipv4ToUint32(address);
    const single = this.singles.get(n);
    if (single) return { sa: single.sa, description: single.description };
    for (const r of this.ranges)
      if (n >= r.first && n <= r.last) return { sa: r.sa, description: r.description };
    return undefined;
  }

  /** The SA with this SPI that covers the address: how a home agent finds the key for a request. */
  lookupBySpi(address: string, spi: number): SecurityAssociationLookup | undefined {
    const found = this.lookup(address);
    return found && found.sa.spi === spi ? found : undefined;
  }

  describe(): SecurityAssociationDescription[] {
    return [...this.singles.values(), ...this.ranges].map((e) => ({ ...e.description }));
  }

  /** Disabling PMIP clears every binding, keys included. */
  clear(): void {
    for (const e of [...this.singles.values(), ...this.ranges]) e.sa.key.fill(0);
    this.singles = new Map();
    this.ranges = [];
  }

  get size(): number {
    return this.singles.size + this.ranges.length;
  }
}

/** Tries providers in order (e.g. local bindings, then RADIUS). */
export class SecurityAssociationChain implements SecurityAssociationProvider {
  readonly name = 'chain';
  constructor(readonly providers: SecurityAssociationProvider[]) {}

  /**
   * The first provider's SA that has one. A provider that could not answer does not stop the
   * chain (RADIUS first, then local bindings); when no later provider has the SA either, its
   * SecurityAssociationUnavailable is what the caller gets, so the outcome says why.
   */
  async lookup(
    address: string,
    options?: SecurityAssociationLookupOptions,
  ): Promise<SecurityAssociationLookup | undefined> {
    let unavailable: SecurityAssociationUnavailable | undefined;
    for (const p of this.providers) {
      try {
        const found = await p.lookup(address, options);
        if (found) return found;
      } catch (e) {
        if (!(e instanceof SecurityAssociationUnavailable)) throw e;
        unavailable ??= e;
      }
    }
    if (unavailable) throw unavailable;
    return undefined;
  }

  /** Passes the event sink to the providers that emit events (RADIUS). */
  attachEvents(emit: (e: PmipEvent) => void): void {
    for (const p of this.providers)
      (p as { attachEvents?: (e: (x: PmipEvent) => void) => void }).attachEvents?.(emit);
  }

  /** Closes what the providers hold open (the RADIUS socket). */
  async close(): Promise<void> {
    for (const p of this.providers) await (p as { close?: () => Promise<void> }).close?.();
  }

  /** Zeroes every provider's keys (disabling PMIP). */
  clear(): void {
    for (const p of this.providers) (p as { clear?: () => void }).clear?.();
  }

  describe(): SecurityAssociationDescription[] {
    return this.providers.flatMap((p) => p.describe());
  }
}
