/**
 * `pmip-exporter observe` as a user runs it: usage errors name the option and the rule, a missing
 * capture tool or interface is a plain error (exit 1), `--config` names senders and checks
 * authenticators with the site's SAs (never printing a key), and without `--summary` it serves
 * /metrics and the pages, which say the site is observed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { PcapWriter } from '../../src/capture/writer.ts';
import type { StatisticsDocument } from '../../src/exporters/statistics.ts';
import type { ObservationStatistics } from '../../src/observe/observer.ts';
import {
  NTP_UNIX_OFFSET_SECONDS,
  encodeRegistration,
  makeIdentification,
  requestFlags,
} from '../../src/pmip/wire/index.ts';
import { tsharkAvailable } from '../support/tshark.ts';

const repoRoot = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const bin = path.join(repoRoot, 'bin/pmip-exporter.js');
const dir = mkdtempSync(path.join(tmpdir(), 'observe-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// examples/site.yaml: ap-lobby is 127.0.1.10; 127.0.2.50 has SPI 257, HMAC-MD5, this key.
const SITE = path.join(repoRoot, 'examples/site.yaml');
const KEY_HEX = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';
const KEY = Buffer.from(KEY_HEX, 'hex');

function observe(args: string[], input?: Buffer) {
  const r = spawnSync(process.execPath, [bin, 'observe', ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    ...(input ? { input } : {}),
    timeout: 30_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function capture(): string {
  const w = new PcapWriter();
  const t0 = 1_700_000_000_000;
  const id = (ms: number, low: number) =>
    makeIdentification(Math.floor(ms / 1000) + NTP_UNIX_OFFSET_SECONDS, low);
  const send = (at: number, low: number, key: Buffer, home = '127.0.2.50') => {
    const request = encodeRegistration(
      {
        type: 'registration-request',
        flags: requestFlags(),
        lifetime: 600,
        homeAddress: home,
        homeAgent: '127.0.2.1',
        careOfAddress: '127.0.1.2',
        identification: id(at, low),
        extensions: [],
      },
      { spi: 257, key, algorithm: 'hmac-md5' },
    );
    w.addUdp(
      { src: '127.0.1.10', dst: '127.0.1.2', srcPort: 40000, dstPort: 434, payload: request },
      BigInt(at) * 1_000_000n,
    );
    const reply = encodeRegistration(
      {
        type: 'registration-reply',
        code: 0,
        lifetime: 600,
        homeAddress: home,
        homeAgent: '127.0.2.1',
        identification: id(at, low),
        extensions: [],
      },
      { spi: 257, key, algorithm: 'hmac-md5' },
    );
    w.addUdp(
      { src: '127.0.1.2', dst: '127.0.1.10', srcPort: 434, dstPort: 40000, payload: reply },
      BigInt(at + 3) * 1_000_000n,
    );
  };
  send(t0, 1, KEY);
  send(t0 + 100_000, 2, Buffer.alloc(16, 9)); // a forged exchange: wrong key both ways
  const file = path.join(dir, 'site.pcap');
  writeFileSync(file, w.toBuffer());
  return file;
}

describe('pmip-exporter observe', () => {
  it('usage errors name the option and the rule (exit 2)', () => {
    const none = observe([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('give exactly one of --pcap FILE, --pcap - or --interface NAME');
    const both = observe(['--pcap', 'x', '--interface', 'lo']);
    expect(both.code).toBe(2);
    const t = observe(['--pcap', 'x', '--timeout-seconds', '0']);
    expect(t.code).toBe(2);
    expect(t.stderr).toContain('--timeout-seconds: "0" must be a number of seconds above 0');
    const rt = observe(['--interface', 'lo', '--realtime']);
    expect(rt.code).toBe(2);
    expect(rt.stderr).toContain('--realtime: only with --pcap');
  });

  it('a missing file is a plain error (exit 1)', () => {
    const r = observe(['--pcap', path.join(dir, 'nope.pcap'), '--summary']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--pcap: cannot read .*nope\.pcap/);
  });

  it('--interface without tshark or tcpdump says so (exit 1)', () => {
    const r = spawnSync(process.execPath, [bin, 'observe', '--interface', 'lo'], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { ...process.env, PATH: path.join(dir, 'empty-bin') },
      timeout: 30_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('--interface: neither tshark nor tcpdump is installed');
  });

  it.skipIf(!tsharkAvailable())(
    '--interface with an interface that does not exist: the tool says why (exit 1)',
    () => {
      const r = observe(['--interface', 'no-such-if0', '--summary']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/--interface no-such-if0: .*(exited|not permitted)/);
    },
  );

  it('--config: senders by name, authenticators checked with the site SAs, no key printed', () => {
    const r = observe(['--pcap', capture(), '--config', SITE, '--summary']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as StatisticsDocument;
    const obs = doc.observation as ObservationStatistics;
    expect(Object.keys(doc.accessPoints)).toContain('ap-lobby');
    expect(doc.accessPoints['ap-lobby']?.registrations.sent.initial).toBe(1);
    expect(doc.accessPoints['ap-lobby']?.registrations.outcomes.accepted).toBe(1);
    expect(obs.authentication).toEqual({ verified: 2, failed: 2, notChecked: 0 });
    expect(doc.securityViolations['bad-authenticator']).toBe(2);
    expect(r.stdout + r.stderr).not.toContain(KEY_HEX);
  });

  it('--pcap - --summary: a signal while the stream is still open prints what was read (exit 0)', async () => {
    // As `tcpdump -w - | pmip-exporter observe --pcap - --summary` stopped with Ctrl-C.
    const child = spawn(process.execPath, [bin, 'observe', '--pcap', '-', '--summary'], { cwd: repoRoot });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const read = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no frame read: ${stderr}`)), 20_000);
        child.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
          if (stderr.includes('observe: first frame read')) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      child.stdin.write(readFileSync(capture())); // and the stream stays open
      await read;
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      const doc = JSON.parse(stdout) as StatisticsDocument & { observation: ObservationStatistics };
      expect(doc.observation.messages).toMatchObject({ requests: 2, replies: 2 });
      expect(stderr).toContain('SIGINT');
    } finally {
      child.stdin.destroy();
      child.kill('SIGKILL');
    }
  });

  it('without --summary it serves /metrics and pages that say the site is observed', async () => {
    const child = spawn(process.execPath, [bin, 'observe', '--pcap', capture(), '--listen', '127.0.0.1:0'], {
      cwd: repoRoot,
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let err = '';
        const timer = setTimeout(() => reject(new Error(`no URL: ${err}`)), 20_000);
        child.stderr.on('data', (d: Buffer) => {
          err += d.toString();
          const m = /metrics (http:\/\/127\.0\.0\.1:\d+)\/metrics/.exec(err);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
      });
      let metrics = '';
      for (
        let i = 0;
        i < 50 && !/pmip_mn_registration_requests_sent_total\{[^}]*\} [1-9]/.test(metrics);
        i++
      ) {
        metrics = await (await fetch(`${url}/metrics`)).text();
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(metrics).toMatch(/access_point="127\.0\.1\.10"/);
      const page = await (await fetch(`${url}/`)).text();
      expect(page).toContain('Observed site, not proxied');
      const stats = await (await fetch(`${url}/statistics`)).text();
      expect(stats).toContain('Observed site, not proxied');
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });
});
