/**
 * examples/hostapd-action.sh as hostapd_cli runs it (`SCRIPT IFACE EVENT MAC`), against the
 * association API in front of real access points: AP-STA-CONNECTED associates the client (its
 * address from the static clients file), AP-STA-DISCONNECTED removes it, and the token never
 * shows on the script's output.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAssociationsServer, type AssociationsServer } from '../../src/associations/http-api.ts';
import { FA, startLab, type Lab } from '../support/lab-site.ts';

const repoRoot = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const SCRIPT = path.join(repoRoot, 'examples/hostapd-action.sh');
const TOKEN = 'hostapd-TOKEN-0123456789abcdef';
const MAC = '02:00:00:00:0a:01';

describe('examples/hostapd-action.sh', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pmip-hostapd-'));
  let lab: Lab;
  let server: AssociationsServer;

  beforeAll(async () => {
    lab = await startLab();
    server = await startAssociationsServer({
      listen: { host: '127.0.0.1', port: 0 },
      token: TOKEN,
      accessPoints: lab.accessPoints.values(),
      logger: pino({ level: 'silent' }),
    });
    writeFileSync(path.join(dir, 'token'), `${TOKEN}\n`, { mode: 0o600 });
    writeFileSync(path.join(dir, 'clients'), `# mac address\n02:00:00:00:0A:01 127.0.1.77\n`);
  });
  afterAll(async () => {
    await server?.close();
    await lab?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function action(event: string, mac: string, token = path.join(dir, 'token')) {
    return new Promise<{ code: number | null; output: string }>((resolve, reject) => {
      const child = spawn('bash', [SCRIPT, 'wlan0', event, mac], {
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          PMIP_ENV_FILE: path.join(dir, 'none'),
          PMIP_API: server.url,
          PMIP_TOKEN_FILE: token,
          PMIP_ACCESS_POINT: 'ap-B',
          PMIP_SSID: 'corp',
          PMIP_CLIENTS_FILE: path.join(dir, 'clients'),
          PMIP_ARP_WAIT: '1',
          PMIP_FOREGROUND: '1',
        },
      });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, output }));
    });
  }

  it('associates on AP-STA-CONNECTED: the access point registers the visitor', async () => {
    const run = await action('AP-STA-CONNECTED', MAC.toUpperCase());
    expect(run.code, run.output).toBe(0);
    expect(run.output).not.toContain(TOKEN);
    expect(lab.ap('B').client(MAC)).toMatchObject({ address: '127.0.1.77', ssid: 'corp' });
    await lab.waitFor('reply-received', (e) => e.node === 'ap-B');
    expect(
      lab
        .fa('B')
        .visitors()
        .map((v) => v.homeAddress),
    ).toEqual(['127.0.1.77']);
    expect(lab.ap('B').client(MAC)?.careOfAddress).toBe(FA('B'));
  });

  it('disassociates on AP-STA-DISCONNECTED, and a second time is not an error', async () => {
    const run = await action('AP-STA-DISCONNECTED', MAC);
    expect(run.code, run.output).toBe(0);
    expect(lab.ap('B').client(MAC)).toBeUndefined();
    expect((await action('AP-STA-DISCONNECTED', MAC)).code).toBe(0);
  });

  it('fails without reporting when the token is wrong or unreadable, and ignores other events', async () => {
    const wrong = path.join(dir, 'wrong-token');
    writeFileSync(wrong, 'not-the-token-at-all\n');
    const refused = await action('AP-STA-CONNECTED', MAC, wrong);
    expect(refused.code).toBe(1);
    expect(refused.output).toContain('"error":"authorization: the bearer token is not valid"');
    expect(refused.output).not.toContain('not-the-token-at-all');
    expect((await action('AP-STA-CONNECTED', MAC, path.join(dir, 'missing'))).code).toBe(1);
    expect(lab.ap('B').client(MAC)).toBeUndefined();
    expect((await action('WPS-PBC-ACTIVE', MAC)).code).toBe(0);
    expect((await action('AP-STA-CONNECTED', 'garbage')).code).toBe(0);
  });

  it('does not report a client whose address cannot be found', async () => {
    const run = await action('AP-STA-CONNECTED', '02:00:00:00:0b:02');
    expect(run.code).toBe(1);
    expect(run.output).toContain('no IPv4 address found');
    expect(lab.ap('B').client('02:00:00:00:0b:02')).toBeUndefined();
  });
});
