/**
 * The HTTP transport under the client's write pipeline. We keep `@influxdata/influxdb-client`'s
 * WriteApi for everything it does well (batching, gzip, retries with exponential backoff and
 * jitter, `Retry-After`, the bounded retry buffer) and wrap its own Node transport for two things
 * it cannot do:
 *
 * - InfluxDB 1.x before 1.8 has no `/api/v2/write` (1.6.7 answers 404 there): the WriteApi always
 *   posts to `/api/v2/write?org=&bucket=&precision=`, so for the `/write` target the path is
 *   rewritten to `/write?db=&rp=` and the credentials go in an `Authorization: Basic` header (1.x
 *   accepts Basic auth; the `u=`/`p=` query form would put the password into URLs and logs).
 * - Timing: each write request's duration, for `pmip_influxdb_last_write_duration_seconds`.
 */
import type { CommunicationObserver, SendOptions, Transport } from '@influxdata/influxdb-client';

export interface V1Target {
  database: string;
  retentionPolicy?: string;
  username?: string;
  password?: string;
}

/** The 1.x `/write` path for the client's `/api/v2/write` path (the precision carried over). */
export function v1WritePath(v2Path: string, target: V1Target): string {
  const q = new URLSearchParams(v2Path.slice(v2Path.indexOf('?') + 1));
  const out = new URLSearchParams({ db: target.database });
  if (target.retentionPolicy !== undefined) out.set('rp', target.retentionPolicy);
  // 1.x spells nanoseconds `n` (and takes it as the default); the other precisions are the same.
  const precision = q.get('precision');
  if (precision && precision !== 'ns') out.set('precision', precision);
  return `/write?${out.toString()}`;
}

export class MeasuredTransport implements Transport {
  /** Duration of the last write request that completed or failed, seconds. */
  lastDurationSeconds: number | null = null;
  /** Write requests sent and not yet answered. */
  inFlight = 0;
  private readonly authorization: string | undefined;

  constructor(
    private readonly inner: Transport,
    private readonly v1?: V1Target,
  ) {
    this.authorization =
      v1?.username !== undefined && v1.password !== undefined
        ? `Basic ${Buffer.from(`${v1.username}:${v1.password}`).toString('base64')}`
        : undefined;
  }

  get chunkCombiner(): Transport['chunkCombiner'] {
    return this.inner.chunkCombiner;
  }

  send(
    path: string,
    body: string,
    options: SendOptions,
    callbacks?: Partial<CommunicationObserver<Uint8Array>>,
  ): void {
    const writing = path.startsWith('/api/v2/write');
    const target = writing && this.v1 ? v1WritePath(path, this.v1) : path;
    const opts: SendOptions = this.authorization
      ? { ...options, headers: { ...options.headers, authorization: this.authorization } }
      : options;
    if (!writing) return this.inner.send(target, body, opts, callbacks);
    const start = process.hrtime.bigint();
    this.inFlight++;
    let ended = false;
    const done = (): void => {
      if (ended) return;
      ended = true;
      this.inFlight--;
      this.lastDurationSeconds = Number(process.hrtime.bigint() - start) / 1e9;
    };
    this.inner.send(target, body, opts, {
      ...callbacks,
      error: (e: Error) => {
        done();
        callbacks?.error?.(e);
      },
      complete: () => {
        done();
        callbacks?.complete?.();
      },
    });
  }

  request(
    path: string,
    body: unknown,
    options: SendOptions,
    responseStarted?: Parameters<Transport['request']>[3],
  ) {
    return this.inner.request(path, body, options, responseStarted) as Promise<unknown>;
  }

  iterate(path: string, body: unknown, options: SendOptions): AsyncIterableIterator<Uint8Array> {
    return this.inner.iterate(path, body, options);
  }
}
