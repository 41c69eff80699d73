/**
 * The RADIUS SA cache: an accepted SA is kept `ttlMs`, a reject `negativeTtlMs` (so a client the
 * server refuses does not cost a RADIUS round trip on every retry). Times come from the caller's
 * clock. Keys stay inside the SecurityAssociation objects; nothing here prints them.
 */
import type { SecurityAssociationLookup, SecurityAssociationUnavailable } from '../store.ts';

export type CacheEntry =
  | { kind: 'accept'; found: SecurityAssociationLookup; server: string; fetchedAt: number; expiresAt: number }
  | {
      kind: 'reject';
      error: SecurityAssociationUnavailable;
      server: string;
      fetchedAt: number;
      expiresAt: number;
    };

export class RadiusSaCache {
  private readonly entries = new Map<string, CacheEntry>();

  constructor(
    private readonly ttlMs: number,
    private readonly negativeTtlMs: number,
  ) {}

  get(userName: string, now: number): CacheEntry | undefined {
    const e = this.entries.get(userName);
    if (!e) return undefined;
    if (now >= e.expiresAt) {
      this.entries.delete(userName);
      return undefined;
    }
    return e;
  }

  putAccept(userName: string, found: SecurityAssociationLookup, server: string, now: number): void {
    if (this.ttlMs <= 0) return;
    this.entries.set(userName, {
      kind: 'accept',
      found,
      server,
      fetchedAt: now,
      expiresAt: now + this.ttlMs,
    });
  }

  putReject(userName: string, error: SecurityAssociationUnavailable, server: string, now: number): void {
    if (this.negativeTtlMs <= 0) {
      this.entries.delete(userName);
      return;
    }
    this.entries.set(userName, {
      kind: 'reject',
      error,
      server,
      fetchedAt: now,
      expiresAt: now + this.negativeTtlMs,
    });
  }

  /** The accepted entries still valid at `now`. */
  accepted(now: number): Array<Extract<CacheEntry, { kind: 'accept' }>> {
    const out: Array<Extract<CacheEntry, { kind: 'accept' }>> = [];
    for (const [name, e] of this.entries) {
      if (now >= e.expiresAt) this.entries.delete(name);
      else if (e.kind === 'accept') out.push(e);
    }
    return out;
  }

  /** Forgets everything and zeroes the cached keys (disabling PMIP). */
  clear(): void {
    for (const e of this.entries.values()) if (e.kind === 'accept') e.found.sa.key.fill(0);
    this.entries.clear();
  }
}
