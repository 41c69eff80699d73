/**
 * `exporters.influxdb`: where the statistics are written (docs/influxdb.md). Two targets:
 *
 * - `/api/v2/write` (InfluxDB 2.x, 3.x and 1.8+): `url`, `token`, `org`, `bucket`. For 1.8 the
 *   bucket is `database/retention-policy` and the token `user:password`.
 * - `/write` (InfluxDB 1.x before 1.8): `url`, `database`, optional `retentionPolicy`,
 *   `username` and `password`.
 *
 * The target follows from the fields given (`bucket` or `database`, never both). Every rule names
 * its field; no message ever quotes the token or the password.
 */
import { z } from 'zod';

const seconds = (min: number, max: number) =>
  z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);
const count = (min: number, max: number) =>
  z.number().int('must be an integer').min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);

export const INFLUXDB_DEFAULTS = {
  intervalSeconds: 10,
  batchSize: 5000,
  flushIntervalSeconds: 1,
  bufferPoints: 100_000,
  gzipThresholdBytes: 1000,
  timeoutSeconds: 10,
  maxRetries: 200,
  minRetryDelaySeconds: 1,
  maxRetryDelaySeconds: 30,
  maxRetryTimeSeconds: 1800,
  outcomes: false,
} as const;

export const influxdbSchema = z
  .object({
    url: z
      .string()
      .url({ protocol: /^https?$/, message: 'must be a URL such as http://127.0.0.1:8086' })
      .refine((u) => !/^[a-z]+:\/\/[^/]*@/i.test(u), {
        message: 'must not carry credentials: use token, or username and password',
      }),
    // /api/v2/write
    token: z.string().min(1, 'must not be empty').optional(),
    org: z.string().min(1, 'must not be empty').optional(),
    bucket: z.string().min(1, 'must not be empty').optional(),
    // /write (1.x before 1.8)
    database: z.string().min(1, 'must not be empty').optional(),
    retentionPolicy: z.string().min(1, 'must not be empty').optional(),
    username: z.string().min(1, 'must not be empty').optional(),
    password: z.string().min(1, 'must not be empty').optional(),
    /** A statistics snapshot every this many seconds. */
    intervalSeconds: seconds(1, 3600).default(INFLUXDB_DEFAULTS.intervalSeconds),
    /** Points per write request. */
    batchSize: count(1, 100_000).default(INFLUXDB_DEFAULTS.batchSize),
    /** Points waiting in a batch are sent after this long at most. */
    flushIntervalSeconds: seconds(0.1, 60).default(INFLUXDB_DEFAULTS.flushIntervalSeconds),
    /** Points kept for retry while the server is down; beyond, the oldest are dropped (counted). */
    bufferPoints: count(1, 10_000_000).default(INFLUXDB_DEFAULTS.bufferPoints),
    /** Write bodies larger than this are gzipped; 0 gzips every body. */
    gzipThresholdBytes: count(0, 100_000_000).default(INFLUXDB_DEFAULTS.gzipThresholdBytes),
    /** One write request's timeout. */
    timeoutSeconds: seconds(0.1, 300).default(INFLUXDB_DEFAULTS.timeoutSeconds),
    maxRetries: count(0, 1000).default(INFLUXDB_DEFAULTS.maxRetries),
    minRetryDelaySeconds: seconds(0.01, 3600).default(INFLUXDB_DEFAULTS.minRetryDelaySeconds),
    maxRetryDelaySeconds: seconds(0.01, 3600).default(INFLUXDB_DEFAULTS.maxRetryDelaySeconds),
    /** A batch is given up (dropped, counted) after retrying this long. */
    maxRetryTimeSeconds: seconds(1, 86_400).default(INFLUXDB_DEFAULTS.maxRetryTimeSeconds),
    /** Opt-in: one `pmip_registration` point per concluded registration attempt. */
    outcomes: z.boolean().default(INFLUXDB_DEFAULTS.outcomes),
  })
  .strict()
  .superRefine((c, ctx) => {
    const issue = (path: string, message: string): void => {
      ctx.addIssue({ code: 'custom', path: [path], message });
    };
    if (c.bucket !== undefined && c.database !== undefined)
      issue(
        'database',
        'give either bucket (the /api/v2/write target) or database (the /write target), not both',
      );
    else if (c.bucket === undefined && c.database === undefined)
      issue('bucket', 'required: bucket (with org and token, /api/v2/write) or database (/write)');
    if (c.bucket !== undefined) {
      if (c.org === undefined) issue('org', 'required with bucket');
      for (const f of ['retentionPolicy', 'username', 'password'] as const)
        if (c[f] !== undefined) issue(f, 'only with database (the /write target); with bucket use token');
    }
    if (c.database !== undefined) {
      for (const f of ['token', 'org'] as const)
        if (c[f] !== undefined) issue(f, 'only with bucket (the /api/v2/write target)');
      if ((c.username === undefined) !== (c.password === undefined))
        issue(c.username === undefined ? 'username' : 'password', 'username and password go together');
    }
    if (c.minRetryDelaySeconds > c.maxRetryDelaySeconds)
      issue('minRetryDelaySeconds', 'must not exceed maxRetryDelaySeconds');
    if (c.bufferPoints < c.batchSize) issue('bufferPoints', 'must be at least batchSize');
  });

export type InfluxdbConfig = z.infer<typeof influxdbSchema>;
