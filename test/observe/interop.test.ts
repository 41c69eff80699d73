/**
 * Observing another implementation's traffic (../shared/fixtures/interop/mip-foreign-network.pcap,
 * never copied into the project; skipped with a notice when absent): `pmip-exporter observe
 * --pcap FILE --summary` must state exactly the registrations, replies, lifetimes asked and
 * granted, reply codes, agent advertisements and solicitations that tshark dissects from the
 * same file. The expectation is computed from tshark's output here, not written down.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCaptureFrames } from '../../src/capture/pcap.ts';
import { CaptureStreamReader } from '../../src/capture/stream.ts';
import type { ObservationStatistics } from '../../src/observe/observer.ts';
import type { StatisticsDocument } from '../../src/exporters/statistics.ts';
import { runTshark, tsharkAvailable } from '../support/tshark.ts';

const repoRoot = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const fixture = path.resolve(repoRoot, '../shared/fixtures/interop/mip-foreign-network.pcap');
const present = existsSync(fixture);
if (!present) console.warn(`observe interop.test: SKIPPED because ../shared is absent (no ${fixture})`);
if (!tsharkAvailable()) console.warn('observe interop.test: SKIPPED because tshark is not installed');

interface TsharkRow {
  frame: number;
  icmpType: string;
  mipType: string;
  code: string;
  life: string;
  advLife: string;
}

function tsharkRows(file: string): TsharkRow[] {
  const out = runTshark([
    '-r',
    file,
    '-Y',
    'mip || icmp.type == 10 || icmp.mip.seq',
    '-T',
    'fields',
    '-E',
    'separator=;',
    '-e',
    'frame.number',
    '-e',
    'icmp.type',
    '-e',
    'mip.type',
    '-e',
    'mip.code',
    '-e',
    'mip.life',
    '-e',
    'icmp.mip.life',
  ]);
  return out
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [frame, icmpType, mipType, code, life, advLife] = l.split(';');
      return {
        frame: Number(frame),
        icmpType: icmpType ?? '',
        mipType: mipType ?? '',
        code: code ?? '',
        life: life ?? '',
        advLife: advLife ?? '',
      };
    });
}

function countBy<T>(rows: T[], key: (r: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows) out[key(r)] = (out[key(r)] ?? 0) + 1;
  return out;
}

describe.skipIf(!present || !tsharkAvailable())(
  'observing mip-foreign-network.pcap says what tshark says',
  () => {
    let doc: StatisticsDocument;
    let obs: ObservationStatistics;
    let rows: TsharkRow[];

    beforeAll(() => {
      const out = execFileSync(
        process.execPath,
        [
          path.join(repoRoot, 'bin/pmip-exporter.js'),
          'observe',
          '--pcap',
          fixture,
          '--summary',
          '--log-level',
          'warn',
        ],
        { encoding: 'utf8', cwd: repoRoot },
      );
      doc = JSON.parse(out) as StatisticsDocument;
      obs = doc.observation as ObservationStatistics;
      rows = tsharkRows(fixture);
    }, 60_000);

    it('the document says the site is observed', () => {
      expect(doc.mode).toBe('observed');
      expect(obs.capture.frames).toBe(
        Number(runTshark(['-r', fixture, '-T', 'fields', '-e', 'frame.number']).trim().split('\n').length),
      );
    });

    it('registration requests and replies, as many as tshark dissects', () => {
      const requests = rows.filter((r) => r.mipType === '1');
      const replies = rows.filter((r) => r.mipType === '3');
      expect(requests.length).toBeGreaterThan(0);
      expect(obs.messages.requests).toBe(requests.length);
      const sent = doc.registrations.sent;
      expect(sent.initial + sent.renewal + sent.deregistration).toBe(requests.length);
      expect(doc.registrations.repliesReceived).toBe(replies.length);
      expect(obs.messages.replies).toBe(replies.length);
    });

    it('lifetimes asked and granted, and reply codes, as tshark dissects them', () => {
      const requests = rows.filter((r) => r.mipType === '1');
      const replies = rows.filter((r) => r.mipType === '3');
      expect(obs.lifetimes.requested).toEqual(countBy(requests, (r) => r.life));
      expect(obs.lifetimes.granted).toEqual(countBy(replies, (r) => r.life));
      const accepted = replies.filter((r) => r.code === '0' || r.code === '1').length;
      expect(doc.registrations.accepted).toBe(accepted);
      expect(doc.registrations.outcomes.accepted).toBe(accepted);
      const denied = countBy(
        replies.filter((r) => r.code !== '0' && r.code !== '1'),
        (r) => r.code,
      );
      expect(doc.registrations.deniedByCode).toEqual(denied);
      // Every request was answered: nothing timed out, nothing left waiting.
      expect(doc.registrations.timeouts).toBe(0);
      expect(obs.attempts.inProgress).toBe(0);
    });

    it('agent advertisements and solicitations, as tshark dissects them', () => {
      const adverts = rows.filter((r) => r.icmpType === '9' && r.advLife !== '');
      const solicitations = rows.filter((r) => r.icmpType === '10');
      expect(adverts.length).toBeGreaterThan(0);
      // Advertisements to a broadcast or multicast address count for the agent that sent them (a
      // foreign agent when the F flag is set, else a home agent), unicast ones at their receiver.
      const perAdvert = runTshark([
        '-r',
        fixture,
        '-Y',
        'icmp.type == 9 && icmp.mip.seq',
        '-T',
        'fields',
        '-E',
        'separator=;',
        '-e',
        'ip.src',
        '-e',
        'ip.dst',
        '-e',
        'icmp.mip.f',
      ])
        .trim()
        .split('\n')
        .map((l) => l.split(';'));
      expect(perAdvert.length).toBe(adverts.length);
      const toLink = (dst: string) => dst === '255.255.255.255' || /^2(2[4-9]|3\d)\./.test(dst);
      const linked = perAdvert.filter((r) => toLink(r[1]!));
      expect(linked.length).toBeGreaterThan(0);
      const byForeignAgent = countBy(
        linked.filter((r) => r[2] === '1' || r[2] === 'True'),
        (r) => r[0]!,
      );
      const byHomeAgent = countBy(
        linked.filter((r) => !(r[2] === '1' || r[2] === 'True')),
        (r) => r[0]!,
      );
      for (const [agent, n] of Object.entries(byForeignAgent)) {
        expect(doc.foreignAgentsSeen[agent]?.link).toEqual({ advertisements: n, rebootsDetected: 0 });
      }
      for (const [agent, n] of Object.entries(byHomeAgent)) {
        expect(doc.homeAgentsSeen[agent]?.link).toEqual({ advertisements: n, rebootsDetected: 0 });
      }
      expect(doc.discovery.advertisementsReceived).toBe(adverts.length - linked.length);
      expect(Object.keys(doc.accessPoints)).not.toContain('link');
      expect(obs.messages.advertisements).toBe(adverts.length);
      expect(doc.discovery.solicitationsSent).toBe(solicitations.length);
      expect(doc.discovery.agentRebootsDetected).toBe(0);
    });

    it('the per-agent view names the home agent and foreign agent of the messages', () => {
      const requests = runTshark([
        '-r',
        fixture,
        '-Y',
        'mip.type == 1',
        '-T',
        'fields',
        '-e',
        'mip.haaddr',
        '-e',
        'ip.dst',
      ])
        .trim()
        .split('\n')
        .map((l) => l.split('\t'));
      const homeAgents = countBy(requests, (r) => r[0]!);
      const foreignAgents = countBy(requests, (r) => r[1]!);
      for (const [ha, n] of Object.entries(homeAgents)) expect(doc.homeAgentsSeen[ha]?.requestsSent).toBe(n);
      for (const [fa, n] of Object.entries(foreignAgents))
        expect(doc.foreignAgentsSeen[fa]?.requestsSent).toBe(n);
      expect(obs.skipped).toMatchObject({ truncated: 0, malformed: 0, 'capture-error': 0 });
    });

    it.skipIf(!existsSync('/usr/bin/editcap'))(
      'the same capture as pcapng (editcap), read in pieces from standard input, gives the same document',
      () => {
        const dir = mkdtempSync(path.join(tmpdir(), 'observe-interop-'));
        try {
          const ng = path.join(dir, 'capture.pcapng');
          execFileSync('editcap', ['-F', 'pcapng', fixture, ng]);
          const bytes = readFileSync(ng);
          // The incremental reader gives the whole-buffer reader's frames, in 1000-byte pieces.
          const reader = new CaptureStreamReader();
          const frames = [];
          for (let i = 0; i < bytes.length; i += 1000)
            frames.push(...reader.push(bytes.subarray(i, i + 1000)));
          const whole = [...readCaptureFrames(bytes)];
          expect(whole.length).toBe(obs.capture.frames);
          expect(frames.map((f) => [f.frame, f.fileOffset, f.timestampNs])).toEqual(
            whole.map((f) => [f.frame, f.fileOffset, f.timestampNs]),
          );
          const out = execFileSync(
            process.execPath,
            [
              path.join(repoRoot, 'bin/pmip-exporter.js'),
              'observe',
              '--pcap',
              '-',
              '--summary',
              '--log-level',
              'warn',
            ],
            { encoding: 'utf8', cwd: repoRoot, input: bytes },
          );
          const again = JSON.parse(out) as StatisticsDocument;
          const strip = (d: StatisticsDocument) => ({
            ...d,
            exporter: {},
            observation: { ...(d.observation as object), capture: {} },
          });
          expect(strip(again)).toEqual(strip(doc));
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    );
  },
);
