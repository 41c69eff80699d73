/**
 * The main job as a user runs it: `pmip-exporter demo` as a child process. It must print its
 * ready line within 20 s, serve /metrics with accepted registrations and the deliberate 131 and
 * 133 denials, and exit 0 within 5 s of SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';

const READY_WITHIN_MS = 20_000;

function freeTcpPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function metric(url: string, pattern: RegExp): Promise<number> {
  const text = await (await fetch(url)).text();
  let sum = 0;
  for (const line of text.split('\n')) if (pattern.test(line)) sum += Number(line.split(' ').pop());
  return sum;
}

describe('pmip-exporter demo --help (child process)', () => {
  it('prints the --listen default as HOST:PORT, not as an object', async () => {
    const { DEMO_LISTEN } = await import('../../src/cli/demo.ts');
    expect(DEMO_LISTEN).toBe('127.0.0.1:9434');
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'demo', '--help'], {
      cwd: process.cwd(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(code).toBe(0);
    const help = out.replace(/\s+/g, ' '); // commander wraps long lines
    expect(help).toContain(
      '--listen <host:port> HTTP listen address for /metrics and the pages (default: 127.0.0.1:9434)',
    );
    expect(help).not.toMatch(/\[object Object\]|"host"/);
  });
});

describe('pmip-exporter demo (child process)', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('reaches its ready line, shows registrations and the deliberate denials, and stops on SIGTERM', async () => {
    const port = await freeTcpPort();
    const mipPort = 20000 + Math.floor(Math.random() * 20000);
    const started = Date.now();
    child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/main.ts',
        'demo',
        '--listen',
        `127.0.0.1:${port}`,
        '--mip-port',
        String(mipPort),
        '--aap-port',
        String(mipPort + 1),
        '--clients',
        '200',
        '--log-level',
        'warn',
      ],
      { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    while (!out.includes('demo ready')) {
      if (Date.now() - started > READY_WITHIN_MS)
        throw new Error(`no ready line within ${READY_WITHIN_MS} ms:\n${out}`);
      if (child.exitCode !== null) throw new Error(`demo exited ${child.exitCode}:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const ready = out.split('\n').find((l) => l.includes('demo ready'))!;
    expect(ready).toContain(`metrics http://127.0.0.1:${port}/metrics`);
    expect(ready).toContain(`Mobile IP UDP port ${mipPort}, AAP UDP port ${mipPort + 1}`);

    const url = `http://127.0.0.1:${port}/metrics`;
    const deadline = Date.now() + 30_000;
    let accepted = 0;
    let denied131 = 0;
    let denied133 = 0;
    while (Date.now() < deadline) {
      accepted = await metric(url, /^pmip_mn_registrations_accepted_total\{/);
      denied131 = await metric(url, /^pmip_ha_registration_denials_total\{.*code="131"/);
      denied133 = await metric(url, /^pmip_registration_denials_total\{code="133"/);
      if (accepted > 20 && denied131 > 0 && denied133 > 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(accepted).toBeGreaterThan(20);
    expect(denied131).toBeGreaterThan(0); // clients configured with the wrong key
    expect(denied133).toBeGreaterThan(0); // the access point whose clock is 3 h ahead
    // The subnet map reached the access points over the AAP protocol from aap-1.
    expect(await metric(url, /^pmip_subnet_map_rows /)).toBe(3);
    expect(await metric(url, /^pmip_aap_reachable\{aap="aap-1"\}/)).toBe(1);

    const t0 = Date.now();
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    const code = await exited;
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});
