/**
 * The InfluxDB exporter: every `intervalSeconds` the collector's snapshot becomes points
 * (schema.ts), and, opt-in, each concluded registration attempt one more point. Writing is the
 * official client's WriteApi (batching, gzip, retries with backoff and jitter, the bounded retry
 * buffer); this module adds what it leaves to its user: counting what was written, failed and
 * dropped, a log line per cause that is rate-limited and never carries a secret, and a flush on
 * shutdown.
 *
 * Accounting (the drop counter equals the points missing at the server):
 * - `writeSuccess(lines)`: written.
 * - `writeRetrySkipped(entry)`: the retry buffer was full and dropped its oldest batch (RetryBuffer
 *   drops whole batches, earliest expiry first, until the new batch fits in 70 % of the limit):
 *   dropped `buffer_full`.
 * - `writeFailed(error, lines, attempt)`: a request failed. The client retries it (puts it in the
 *   retry buffer) when it is not an HTTP error below 429 and retries remain; otherwise the batch is
 *   gone: dropped `rejected` (4xx: bad credentials, unknown database or bucket, bad data) or
 *   `retries_exhausted`. "Max retry time exceeded" is a batch given up before a request.
 * - On close, what the retry buffer still holds after the final flush: dropped `shutdown`.
 * Buffered = queued - written - dropped.
 */
import { HttpError, InfluxDB, RequestTimedOutError, setLogger } from '@influxdata/influxdb-client';
import type { WriteApi } from '@influxdata/influxdb-client';
import type { Logger } from 'pino';
import type { CollectorSnapshot } from '../../collector/snapshot.ts';
import type { InfluxdbConfig } from '../../config/influxdb.ts';
import type { PmipEvent } from '../../collector/vocabulary.ts';
import { outcomeLine, snapshotLines } from './schema.ts';
import { MeasuredTransport } from './transport.ts';

export const WRITE_FAILURE_CAUSES = [
  'unauthorized',
  'not_found',
  'bad_request',
  'throttled',
  'server_error',
  'timeout',
  'unreachable',
  'other',
] as const;
export type WriteFailureCause = (typeof WRITE_FAILURE_CAUSES)[number];

export const DROP_REASONS = ['buffer_full', 'rejected', 'retries_exhausted', 'shutdown'] as const;
export type DropReason = (typeof DROP_REASONS)[number];

const CONNECTION_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ETIMEDOUT',
]);

/** What a failed write request says about the server, one bounded word. */
export function failureCause(e: unknown): WriteFailureCause {
  if (e instanceof HttpError) {
    const s = e.statusCode;
    if (s === 401 || s === 403) return 'unauthorized';
    if (s === 404) return 'not_found';
    if (s === 429) return 'throttled';
    if (s >= 500) return 'server_error';
    if (s >= 400) return 'bad_request';
    return 'other';
  }
  if (e instanceof RequestTimedOutError) return 'timeout';
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && CONNECTION_ERRORS.has(code)) return 'unreachable';
  return 'other';
}

/** A URL fit for a log line: no userinfo, no `u`/`p`/`token` query parameters. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    for (const k of ['u', 'p', 'password', 'token']) u.searchParams.delete(k);
    return u.toString();
  } catch {
    return '[unparsable URL]';
  }
}

export interface InfluxWriterStatus {
  /** `/api/v2/write` or `/write`, and where (no credentials). */
  api: 'v2' | 'v1';
  target: string;
  intervalSeconds: number;
  outcomes: boolean;
  pointsQueued: number;
  pointsWritten: number;
  pointsBuffered: number;
  pointsDropped: Record<DropReason, number>;
  writeFailures: Record<WriteFailureCause, number>;
  /** Seconds; null before the first request ended. */
  lastWriteDurationSeconds: number | null;
  /** ms since epoch; null before the first success. */
  lastSuccessAt: number | null;
  lastFailure: { cause: WriteFailureCause; status: number | null; message: string; at: number } | null;
}

export interface InfluxWriterOptions {
  config: InfluxdbConfig;
  /** The `site` tag of every point. */
  site: string;
  logger: Logger;
  /** One log line per failure cause per window (then a count of the ones not logged). Default 60 s. */
  logWindowMs?: number;
  now?: () => number;
}

interface Source {
  snapshot(): CollectorSnapshot;
}

let clientLoggerSilenced = false;

export class InfluxWriter {
  readonly target: string;
  private readonly api: WriteApi;
  private readonly transport: MeasuredTransport;
  private readonly secrets: string[];
  private readonly now: () => number;
  private readonly logWindowMs: number;
  private source: Source | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private disposed = false;
  private sequence = 0;
  private queued = 0;
  private written = 0;
  private readonly dropped = Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<
    DropReason,
    number
  >;
  private readonly failures = Object.fromEntries(WRITE_FAILURE_CAUSES.map((c) => [c, 0])) as Record<
    WriteFailureCause,
    number
  >;
  private lastSuccessAt: number | null = null;
  private lastFailure: InfluxWriterStatus['lastFailure'] = null;
  private readonly logState = new Map<string, { until: number; suppressed: number }>();
  private failingSince: number | null = null;
  private failedRequests = 0;
  private haNames = new Map<string, string>();
  private faNames = new Map<string, string>();
  private namesAt = 0;

  constructor(private readonly o: InfluxWriterOptions) {
    const c = o.config;
    this.now = o.now ?? Date.now;
    this.logWindowMs = o.logWindowMs ?? 60_000;
    this.secrets = [c.token, c.password].filter((s): s is string => s !== undefined && s.length > 0);
    if (!clientLoggerSilenced) {
      // The client logs every failure to the console; we count and log them ourselves, rate-limited.
      setLogger({ error() {}, warn() {} });
      clientLoggerSilenced = true;
    }
    const base = c.url.replace(/\/+$/, '');
    const v1 = c.database !== undefined;
    this.target = v1
      ? redactUrl(
          `${base}/write?${new URLSearchParams({ db: c.database!, ...(c.retentionPolicy ? { rp: c.retentionPolicy } : {}) }).toString()}`,
        )
      : redactUrl(
          `${base}/api/v2/write?${new URLSearchParams({ org: c.org!, bucket: c.bucket! }).toString()}`,
        );
    const timeout = Math.round(c.timeoutSeconds * 1000);
    // The client's own Node transport (gzip, timeouts, keep-alive), wrapped (transport.ts).
    const inner = new InfluxDB({ url: c.url, timeout, ...(c.token !== undefined ? { token: c.token } : {}) })
      .transport;
    this.transport = new MeasuredTransport(
      inner,
      v1
        ? {
            database: c.database!,
            ...(c.retentionPolicy !== undefined ? { retentionPolicy: c.retentionPolicy } : {}),
            ...(c.username !== undefined ? { username: c.username } : {}),
            ...(c.password !== undefined ? { password: c.password } : {}),
          }
        : undefined,
    );
    const writer = new InfluxDB({ url: c.url, timeout, transport: this.transport });
    const maxRetries = c.maxRetries;
    this.api = writer.getWriteApi(v1 ? '' : c.org!, v1 ? c.database! : c.bucket!, 'ns', {
      batchSize: c.batchSize,
      flushInterval: Math.round(c.flushIntervalSeconds * 1000),
      maxBufferLines: c.bufferPoints,
      maxRetries,
      maxRetryTime: Math.round(c.maxRetryTimeSeconds * 1000),
      minRetryDelay: Math.round(c.minRetryDelaySeconds * 1000),
      maxRetryDelay: Math.round(c.maxRetryDelaySeconds * 1000),
      retryJitter: Math.min(1000, Math.round(c.minRetryDelaySeconds * 200)),
      exponentialBase: 2,
      gzipThreshold: c.gzipThresholdBytes,
      writeSuccess: (lines) => this.onSuccess(lines.length),
      writeRetrySkipped: (entry) => this.drop('buffer_full', entry.lines.length),
      writeFailed: (error, lines, attempt) => {
        this.onFailure(error, lines.length, attempt, maxRetries);
      },
    });
  }

  /** Starts the periodic snapshots from `source` (the collector). */
  start(source: Source): void {
    this.source = source;
    this.timer = setInterval(
      () => {
        // A timer callback that throws would end the process: a failed snapshot is logged instead.
        try {
          this.writeSnapshot();
        } catch (e) {
          this.log(
            'snapshot',
            { error: e instanceof Error ? e.message : String(e) },
            'InfluxDB: a snapshot could not be written',
          );
        }
      },
      Math.round(this.o.config.intervalSeconds * 1000),
    );
    this.timer.unref();
  }

  /** Writes one snapshot now (the timer's work; also the last thing close() does). */
  writeSnapshot(snapshot?: CollectorSnapshot): void {
    if (this.closed) return;
    const s = snapshot ?? this.source?.snapshot();
    if (!s) return;
    this.refreshNames(s);
    const lines = snapshotLines(s, this.o.site);
    this.queued += lines.length;
    this.api.writeRecords(lines);
  }

  /** Event subscriber: one `pmip_registration` point per concluded attempt when `outcomes` is on. */
  readonly handle = (e: PmipEvent): void => {
    if (e.type !== 'registration-outcome' || !this.o.config.outcomes || this.closed) return;
    // (The event bus counts a subscriber that throws and carries on: no try here on the hot path.)
    const line = outcomeLine(e, this.o.site, this.sequence++, {
      homeAgent: (a) => this.agentName('home', a),
      foreignAgent: (a) => this.agentName('foreign', a),
    });
    this.queued++;
    this.api.writeRecord(line);
  };

  status(): InfluxWriterStatus {
    const dropped = DROP_REASONS.reduce((t, r) => t + this.dropped[r], 0);
    return {
      api: this.o.config.database !== undefined ? 'v1' : 'v2',
      target: this.target,
      intervalSeconds: this.o.config.intervalSeconds,
      outcomes: this.o.config.outcomes,
      pointsQueued: this.queued,
      pointsWritten: this.written,
      pointsBuffered: Math.max(0, this.queued - this.written - dropped),
      pointsDropped: { ...this.dropped },
      writeFailures: { ...this.failures },
      lastWriteDurationSeconds: this.transport.lastDurationSeconds,
      lastSuccessAt: this.lastSuccessAt,
      lastFailure: this.lastFailure ? { ...this.lastFailure } : null,
    };
  }

  /**
   * Shutdown: one last snapshot, then everything buffered (batch and retry buffer) is sent once
   * more within `timeoutMs`; what still cannot be written is counted as dropped (`shutdown`) and
   * said in one log line.
   */
  async close(timeoutMs = 2000): Promise<void> {
    if (this.closed) return;
    if (this.timer) clearInterval(this.timer);
    this.writeSnapshot();
    this.closed = true;
    const deadline = Date.now() + timeoutMs;
    // flush(true) sends the open batch and each batch of the retry buffer once more. A full batch
    // already in flight is nobody's promise: wait for the requests in flight too, but send nothing
    // again (each send would use up a retry).
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.api.flush(true).catch(() => undefined),
      new Promise((r) => {
        timer = setTimeout(r, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    while (this.buffered() > 0 && this.transport.inFlight > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    // What is still unconfirmed now is counted as dropped; later callbacks are ignored.
    this.api.dispose();
    const left = this.buffered();
    this.disposed = true;
    if (left > 0) {
      this.dropped.shutdown += left;
      this.o.logger.warn(
        { target: this.target, points: left },
        'InfluxDB: points still unwritten at shutdown were dropped',
      );
    }
    this.flushLogSummaries();
    this.o.logger.info(
      {
        target: this.target,
        pointsQueued: this.queued,
        pointsWritten: this.written,
        pointsDropped: { ...this.dropped },
      },
      'InfluxDB exporter stopped',
    );
  }

  private buffered(): number {
    return this.queued - this.written - DROP_REASONS.reduce((t, r) => t + this.dropped[r], 0);
  }

  private onSuccess(n: number): void {
    if (this.disposed) return;
    this.written += n;
    this.lastSuccessAt = this.now();
    if (this.failingSince !== null) {
      this.o.logger.info(
        {
          target: this.target,
          failedRequests: this.failedRequests,
          outageSeconds: (this.now() - this.failingSince) / 1000,
        },
        'InfluxDB writes succeed again',
      );
      this.failingSince = null;
      this.failedRequests = 0;
      this.flushLogSummaries();
    }
  }

  private onFailure(error: Error, n: number, attempt: number, maxRetries: number): void {
    if (this.disposed) return;
    if (error.message === 'Max retry time exceeded.') {
      this.drop('retries_exhausted', n);
      this.log(
        'retries_exhausted',
        { points: n },
        'InfluxDB: a batch was given up after retrying for maxRetryTimeSeconds',
      );
      return;
    }
    const cause = failureCause(error);
    this.failures[cause]++;
    this.failedRequests++;
    this.failingSince ??= this.now();
    const status = error instanceof HttpError ? error.statusCode : null;
    const message = this.scrub(error.message).slice(0, 300);
    this.lastFailure = { cause, status, message, at: this.now() };
    // Mirrors the client's decision (WriteApiImpl.sendBatch): retried unless an HTTP error below
    // 429, or no retries left.
    const retried = !(error instanceof HttpError && error.statusCode < 429) && attempt <= maxRetries;
    if (!retried) this.drop(status !== null && status < 429 ? 'rejected' : 'retries_exhausted', n);
    this.log(
      cause,
      { cause, ...(status !== null ? { status } : {}), error: message, points: n, retried },
      retried ? 'InfluxDB write failed; retrying' : 'InfluxDB write failed; the points are dropped',
    );
  }

  private drop(reason: DropReason, n: number): void {
    if (this.disposed) return;
    this.dropped[reason] += n;
  }

  /** One line per cause per window; the ones held back are counted and said when the window ends. */
  private log(key: string, fields: Record<string, unknown>, msg: string): void {
    const t = this.now();
    const st = this.logState.get(key);
    if (st && t < st.until) {
      st.suppressed++;
      return;
    }
    if (st && st.suppressed > 0) fields = { ...fields, suppressedSinceLastLine: st.suppressed };
    this.logState.set(key, { until: t + this.logWindowMs, suppressed: 0 });
    this.o.logger.warn({ target: this.target, ...fields }, msg);
  }

  private flushLogSummaries(): void {
    for (const [key, st] of this.logState)
      if (st.suppressed > 0)
        this.o.logger.warn(
          { target: this.target, cause: key, suppressed: st.suppressed },
          `InfluxDB: ${st.suppressed} similar failure messages suppressed`,
        );
    this.logState.clear();
  }

  /** An error text with any configured secret taken out (a server could echo a header back). */
  private scrub(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join('[redacted]');
    return out;
  }

  private refreshNames(s: CollectorSnapshot): void {
    const map = (g: CollectorSnapshot['homeAgentsSeen']): Map<string, string> =>
      new Map(g.addresses.map((a, i) => [a, g.ids[i]!]));
    this.haNames = map(s.homeAgentsSeen);
    this.faNames = map(s.foreignAgentsSeen);
    this.namesAt = this.now();
  }

  private agentName(side: 'home' | 'foreign', address: string): string | undefined {
    const names = (): Map<string, string> => (side === 'home' ? this.haNames : this.faNames);
    const n = names().get(address);
    if (n !== undefined || !this.source || this.now() - this.namesAt < 1000) return n;
    // A new agent since the last snapshot: look again, at most once a second.
    this.refreshNames(this.source.snapshot());
    return names().get(address);
  }
}
