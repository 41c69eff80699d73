/** Scratch web configuration for tests: a self-signed certificate (openssl) and bcrypt users. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';

export interface WebFixture {
  dir: string;
  webConfigFile: string;
  username: string;
  password: string;
}

export function makeWebConfig(options: { tls: boolean; auth: boolean }): WebFixture {
  const dir = mkdtempSync(join(tmpdir(), 'pmip-web-'));
  const username = 'prometheus';
  const password = 'scrape-secret-1';
  const lines: string[] = [];
  if (options.tls) {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        join(dir, 'server.key'),
        '-out',
        join(dir, 'server.crt'),
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    // Relative names: resolved against the config file's directory, as in the exporter-toolkit.
    lines.push('tls_server_config:', '  cert_file: server.crt', '  key_file: server.key');
  }
  if (options.auth) {
    // $2y$ as htpasswd writes it; low cost keeps the test fast.
    const hash = bcrypt.hashSync(password, 6).replace(/^\$2b\$/, '$2y$');
    lines.push('basic_auth_users:', `  ${username}: ${JSON.stringify(hash)}`);
  }
  const webConfigFile = join(dir, 'web.yml');
  writeFileSync(webConfigFile, `${lines.join('\n')}\n`);
  return { dir, webConfigFile, username, password };
}
