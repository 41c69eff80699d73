import type { AapChunk } from './codec/index.ts';

/**
 * Reassembly of chunked transfers (tables, updates, pulled state, hand-overs). A transfer is
 * complete when every chunk index from 0 to count - 1 has arrived once; duplicates (a
 * retransmission) are ignored. The number of transfers being assembled at once is bounded: the
 * oldest is dropped (its sender retries).
 */
interface Assembly<P> {
  count: number;
  parts: Array<P | undefined>;
  received: number;
  startedAt: number;
}

export class ChunkAssembler<P> {
  private readonly assemblies = new Map<string, Assembly<P>>();

  constructor(private readonly limit = 16) {}

  /** Adds one chunk; returns every chunk of the transfer, in order, once it is complete. */
  add(key: string, chunk: AapChunk, part: P, now: number): P[] | undefined {
    if (chunk.count === 1) {
      this.assemblies.delete(key);
      return [part];
    }
    let a = this.assemblies.get(key);
    if (!a || a.count !== chunk.count) {
      if (!a && this.assemblies.size >= this.limit) {
        const oldest = this.assemblies.keys().next().value;
        if (oldest !== undefined) this.assemblies.delete(oldest);
      }
      a = { count: chunk.count, parts: new Array<P | undefined>(chunk.count), received: 0, startedAt: now };
      this.assemblies.set(key, a);
    }
    if (a.parts[chunk.index] === undefined) {
      a.parts[chunk.index] = part;
      a.received++;
    }
    if (a.received < a.count) return undefined;
    this.assemblies.delete(key);
    return a.parts as P[];
  }

  /** Drops transfers started before `before` (ms); returns how many. */
  expire(before: number): number {
    let n = 0;
    for (const [key, a] of this.assemblies)
      if (a.startedAt < before) {
        this.assemblies.delete(key);
        n++;
      }
    return n;
  }

  get size(): number {
    return this.assemblies.size;
  }
}
