/**
 * The web configuration file of the Prometheus exporter-toolkit: TLS (`tls_server_config`), HTTP
 * response headers (`http_server_config.headers`) and basic auth (`basic_auth_users`, bcrypt
 * hashes). Relative file names resolve against the config file's directory, as in the toolkit.
 * Unknown or unsupported fields are refused at start-up with the field named.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { SecureContextOptions, SecureVersion } from 'node:tls';
import bcrypt from 'bcryptjs';
import YAML from 'yaml';
import { z } from 'zod';

const TLS_VERSIONS = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' } as const;
const CLIENT_AUTH_TYPES = [
  'NoClientCert',
  'RequestClientCert',
  'RequireAnyClientCert',
  'VerifyClientCertIfGiven',
  'RequireAndVerifyClientCert',
] as const;

const tlsSchema = z
  .object({
    cert_file: z.string().min(1),
    key_file: z.string().min(1),
    client_auth_type: z.enum(CLIENT_AUTH_TYPES).optional(),
    client_ca_file: z.string().min(1).optional(),
    min_version: z.enum(['TLS10', 'TLS11', 'TLS12', 'TLS13']).optional(),
    max_version: z.enum(['TLS10', 'TLS11', 'TLS12', 'TLS13']).optional(),
  })
  .strict();

const schema = z
  .object({
    tls_server_config: tlsSchema.optional(),
    http_server_config: z
      .object({ headers: z.record(z.string(), z.string()).optional() })
      .strict()
      .optional(),
    basic_auth_users: z
      .record(
        z.string().min(1),
        z.string().regex(/^\$2[aby]\$\d\d\$/, 'must be a bcrypt hash ($2a$, $2b$ or $2y$)'),
      )
      .optional(),
  })
  .strict();

export type WebConfigFile = z.infer<typeof schema>;

export class WebConfigError extends Error {
  override readonly name = 'WebConfigError';
}

export interface WebConfig {
  /** Options for https.createServer; undefined for plain HTTP. */
  tls?: (SecureContextOptions & { requestCert: boolean; rejectUnauthorized: boolean }) | undefined;
  headers: Record<string, string>;
  /** user -> bcrypt hash; undefined when basic auth is off. */
  users?: Record<string, string> | undefined;
}

export async function loadWebConfig(file: string): Promise<WebConfig> {
  let parsed: unknown;
  try {
    parsed = YAML.parse(await readFile(file, 'utf8')) ?? {};
  } catch (err) {
    throw new WebConfigError(`${file}: ${(err as Error).message}`);
  }
  const result = schema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new WebConfigError(`${file}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  const cfg = result.data;
  const base = dirname(file);
  const read = async (field: string, name: string): Promise<Buffer> => {
    try {
      return await readFile(resolve(base, name));
    } catch (err) {
      throw new WebConfigError(`${file}: tls_server_config.${field}: ${(err as Error).message}`);
    }
  };
  let tls: WebConfig['tls'];
  if (cfg.tls_server_config) {
    const t = cfg.tls_server_config;
    const authType = t.client_auth_type ?? 'NoClientCert';
    const verifies = authType === 'VerifyClientCertIfGiven' || authType === 'RequireAndVerifyClientCert';
    if (verifies && !t.client_ca_file) {
      throw new WebConfigError(
        `${file}: tls_server_config.client_ca_file: required with client_auth_type ${authType}`,
      );
    }
    tls = {
      cert: await read('cert_file', t.cert_file),
      key: await read('key_file', t.key_file),
      ca: t.client_ca_file ? await read('client_ca_file', t.client_ca_file) : undefined,
      requestCert: authType !== 'NoClientCert',
      // Node can only refuse unverified certificates, so RequireAnyClientCert verifies too.
      rejectUnauthorized: authType === 'RequireAndVerifyClientCert' || authType === 'RequireAnyClientCert',
      minVersion: TLS_VERSIONS[t.min_version ?? 'TLS12'] as SecureVersion,
      maxVersion: t.max_version ? (TLS_VERSIONS[t.max_version] as SecureVersion) : undefined,
    };
  }
  return { tls, headers: cfg.http_server_config?.headers ?? {}, users: cfg.basic_auth_users };
}

/**
 * Checks basic-auth credentials against bcrypt hashes. bcrypt is slow on purpose, so successful
 * checks are cached under a keyed digest of user and password (as the exporter-toolkit does);
 * unknown users are compared against a dummy hash so both paths take as long.
 */
export class BasicAuthChecker {
  private readonly cache = new Set<string>();
  private readonly cacheKey = randomBytes(32);
  private readonly dummyHash = bcrypt.hashSync(randomBytes(16).toString('hex'), 10);

  constructor(private readonly users: Record<string, string>) {}

  async check(header: string | undefined): Promise<boolean> {
    if (!header?.startsWith('Basic ')) return false;
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const digest = createHash('sha256')
      .update(this.cacheKey)
      .update(user)
      .update('\u0000')
      .update(password)
      .digest('hex');
    if (this.cache.has(digest)) return true;
    const hash = Object.hasOwn(this.users, user) ? this.users[user]! : undefined;
    const ok = await bcrypt.compare(password, hash ?? this.dummyHash);
    if (!ok || hash === undefined) return false;
    if (this.cache.size >= 1024) this.cache.clear();
    this.cache.add(digest);
    return true;
  }
}
