/**
 * An observed site for tests that scrape one: the real `pmip-exporter observe --pcap FILE
 * --listen 127.0.0.1:0` (a child process, stopped by PID) replaying a capture built here, and
 * then serving `/metrics` and the pages. The capture holds what only an observed site has: agent
 * advertisements to the link from a home agent and a foreign agent, each with one restart (the
 * sequence number starting again below 256), and one accepted registration between them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PcapWriter } from '../../src/capture/writer.ts';
import {
  NTP_UNIX_OFFSET_SECONDS,
  advertisementFlags,
  encodeAgentAdvertisement,
  encodeRegistration,
  makeIdentification,
  requestFlags,
} from '../../src/pmip/wire/index.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.join(repoRoot, 'bin/pmip-exporter.js');

export const OBSERVED = {
  homeAgent: '10.9.0.1',
  foreignAgent: '10.1.0.2',
  sender: '10.1.0.20',
  home: '10.9.5.5',
  /** Advertisements each agent sent to the link, and its restarts among them. */
  advertisementsPerAgent: 4,
  restartsPerAgent: 1,
} as const;

export interface ObservedSite {
  /** host:port of its `/metrics`. */
  target: string;
  stop(): Promise<void>;
}

/** The capture (pcap, Ethernet). */
export function observedSiteCapture(): Buffer {
  const w = new PcapWriter();
  const t0 = 1_700_000_000_000;
  const at = (ms: number) => BigInt(t0 + ms) * 1_000_000n;
  const advertise = (ms: number, src: string, sequence: number, home: boolean) =>
    w.addIcmp(
      {
        src,
        dst: '255.255.255.255',
        icmp: encodeAgentAdvertisement({
          type: 'agent-advertisement',
          icmpCode: 0,
          routerLifetime: 1800,
          routerAddresses: [{ address: src, preference: 0 }],
          sequence,
          registrationLifetime: 600,
          flags: advertisementFlags(home ? { H: true } : { F: true, R: true }),
          careOfAddresses: home ? [] : [src],
          padding: 0,
        }),
      },
      at(ms),
    );
  // Each agent's third advertisement starts again below 256: a restart (RFC 5944 section 2.1.1).
  const home = [300, 301, 2, 3];
  const foreign = [400, 401, 0, 1];
  for (let i = 0; i < 4; i++) {
    advertise(i * 1000, OBSERVED.homeAgent, home[i]!, true);
    advertise(i * 1000 + 10, OBSERVED.foreignAgent, foreign[i]!, false);
  }
  const id = makeIdentification(Math.floor(t0 / 1000) + NTP_UNIX_OFFSET_SECONDS + 1, 7);
  const registration = { homeAddress: OBSERVED.home, homeAgent: OBSERVED.homeAgent, identification: id };
  w.addUdp(
    {
      src: OBSERVED.sender,
      dst: OBSERVED.foreignAgent,
      srcPort: 50000,
      dstPort: 434,
      payload: encodeRegistration({
        type: 'registration-request',
        flags: requestFlags(),
        lifetime: 600,
        careOfAddress: OBSERVED.foreignAgent,
        extensions: [],
        ...registration,
      }),
    },
    at(1500),
  );
  w.addUdp(
    {
      src: OBSERVED.foreignAgent,
      dst: OBSERVED.sender,
      srcPort: 434,
      dstPort: 50000,
      payload: encodeRegistration({
        type: 'registration-reply',
        code: 0,
        lifetime: 600,
        extensions: [],
        ...registration,
      }),
    },
    at(1510),
  );
  return w.toBuffer();
}

/** Starts the observed site; resolves once its `/metrics` has the whole capture. */
export async function startObservedSite(): Promise<ObservedSite> {
  const dir = mkdtempSync(path.join(tmpdir(), 'pmip-observed-site-'));
  const file = path.join(dir, 'site.pcap');
  writeFileSync(file, observedSiteCapture());
  const child: ChildProcess = spawn(
    process.execPath,
    [bin, 'observe', '--pcap', file, '--listen', '127.0.0.1:0'],
    { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let err = '';
      const timer = setTimeout(() => reject(new Error(`observe printed no /metrics URL: ${err}`)), 30_000);
      child.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
        const m = /metrics (http:\/\/127\.0\.0\.1:\d+)\/metrics/.exec(err);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child.once('exit', (code) => reject(new Error(`observe exited (${code}): ${err}`)));
    });
    // The replay runs after the server is up: wait for its last packet's counters.
    const done = /pmip_foreign_agent_link_reboots_detected_total\{[^}]*\} 1\b/;
    for (let i = 0; ; i++) {
      const metrics = await (await fetch(`${url}/metrics`)).text();
      if (done.test(metrics) && /pmip_mn_registrations_accepted_total\{[^}]*\} 1\b/.test(metrics)) break;
      if (i > 100) throw new Error(`the observed site's /metrics never showed the capture:\n${metrics}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return { target: new URL(url).host, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
