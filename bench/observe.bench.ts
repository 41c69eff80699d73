/**
 * Passive observation benchmark.
 *
 * A generated pcap (Ethernet, into .scratch/, not committed) of at least 1,000,000 Mobile IP
 * messages: 10,000 clients behind 100 senders, each registration a request and its reply, with
 * renewals, every 20th attempt retransmitted once, every 50th denied (133 then a corrected
 * request), every 200th unanswered (a timeout), every 10th moved to another care-of address.
 *
 * - observed: the file's packets through the incremental reader, the wire observer and the
 *   collector (every event ingested), in messages per second;
 * - baseline, in the same run, interleaved: the same reading (incremental reader, link layer,
 *   IPv4 and UDP headers) without decoding the Mobile IP messages.
 * Target: observed >= 0.5 x baseline.
 *
 * Standalone: `node --import tsx bench/observe.bench.ts [--quick]` prints JSON lines (bench/lib.ts).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { packetFromFrame } from '../src/capture/packets.ts';
import { CaptureStreamReader } from '../src/capture/stream.ts';
import { buildEthernet, buildUdp, pcapFileHeader, pcapRecord } from '../src/capture/writer.ts';
import { Collector } from '../src/collector/collector.ts';
import { WireObserver } from '../src/observe/observer.ts';
import {
  NTP_UNIX_OFFSET_SECONDS,
  encodeRegistration,
  makeIdentification,
  requestFlags,
} from '../src/pmip/wire/index.ts';
import { consume, isMain, median, printFigure } from './lib.ts';

export const TARGETS = { ratioToReading: 0.5 } as const;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CHUNK = 1 << 16;

/** Writes the capture and returns its path and the number of Mobile IP messages in it. */
export function generateCapture(messages: number, file: string): { file: string; messages: number } {
  const clients = 10_000;
  const senders = 100;
  const parts: Buffer[] = [pcapFileHeader()];
  let size = 24;
  const out: Buffer[] = [];
  let count = 0;
  let t = 1_700_000_000_000; // ms
  const flush = (): void => {
    out.push(Buffer.concat(parts));
    parts.length = 0;
    size = 0;
  };
  const add = (src: string, dst: string, payload: Buffer, at: number, toAgent: boolean): void => {
    const ip = buildUdp({
      src,
      dst,
      srcPort: toAgent ? 40000 : 434,
      dstPort: toAgent ? 434 : 40000,
      payload,
    });
    const rec = pcapRecord(buildEthernet(ip), BigInt(at) * 1_000_000n);
    parts.push(rec);
    size += rec.length;
    count++;
    if (size > CHUNK * 8) flush();
  };
  let low = 1;
  for (let round = 0; count < messages; round++) {
    for (let k = 0; k < clients && count < messages; k++) {
      t += 1;
      const s = k % senders;
      const sender = `10.${1 + (s >> 6)}.${s & 63}.20`;
      const fa = `10.${1 + (s >> 6)}.${s & 63}.2`;
      const home = `10.200.${k >> 8}.${k & 255}`;
      const ha = `10.200.255.${1 + (k % 8)}`;
      const coa = round % 10 === k % 10 ? `10.${1 + (s >> 6)}.${s & 63}.3` : fa;
      const request = (id: bigint) =>
        encodeRegistration({
          type: 'registration-request',
          flags: requestFlags(),
          lifetime: 600,
          homeAddress: home,
          homeAgent: ha,
          careOfAddress: coa,
          identification: id,
          extensions: [],
        });
      const reply = (id: bigint, code: number) =>
        encodeRegistration({
          type: 'registration-reply',
          code,
          lifetime: code === 0 ? 600 : 0,
          homeAddress: home,
          homeAgent: ha,
          identification: id,
          extensions: [],
        });
      const ntp = Math.floor(t / 1000) + NTP_UNIX_OFFSET_SECONDS;
      const id = makeIdentification(ntp, low++);
      add(sender, fa, request(id), t, true);
      const n = round * clients + k;
      if (n % 200 === 199) continue; // unanswered: a timeout
      if (n % 20 === 3) add(sender, fa, request(makeIdentification(ntp + 1, low++)), t + 1000, true);
      if (n % 50 === 7) {
        add(fa, sender, reply(id, 133), t + 2, false);
        const corrected = makeIdentification(ntp, low++);
        add(sender, fa, request(corrected), t + 3, true);
        add(fa, sender, reply(corrected, 0), t + 5, false);
        continue;
      }
      add(fa, sender, reply(id, 0), t + 2, false);
    }
    t += 60_000;
  }
  flush();
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, Buffer.concat(out));
  return { file, messages: count };
}

function readOnly(buf: Buffer): number {
  const reader = new CaptureStreamReader();
  let n = 0;
  for (let i = 0; i < buf.length; i += CHUNK) {
    for (const f of reader.push(buf.subarray(i, i + CHUNK))) {
      const p = packetFromFrame(f);
      if (p) n++;
      consume(p);
    }
  }
  return n;
}

function observe(buf: Buffer): { frames: number; attempts: number } {
  const observer: WireObserver = new WireObserver({
    emit: (e) => collector.ingest(e),
    timeoutSeconds: 10,
  });
  const collector = new Collector({
    accessPoints: [],
    maxUnconfiguredNodes: 128,
    mode: 'observed',
    clock: () => observer.now(),
  });
  const reader = new CaptureStreamReader();
  let frames = 0;
  for (let i = 0; i < buf.length; i += CHUNK) {
    for (const f of reader.push(buf.subarray(i, i + CHUNK))) {
      observer.frame(f);
      frames++;
    }
  }
  observer.advance(observer.now() + 60_000);
  const snap = collector.snapshot();
  let attempts = 0;
  for (const v of snap.accessPoints.outcomes) attempts += v;
  return { frames, attempts };
}

export function run(quick: boolean): void {
  const wanted = quick ? 100_000 : 1_000_000;
  const file = path.join(root, '.scratch', `observe-bench-${wanted}.pcap`);
  const started = Date.now();
  const { messages } = generateCapture(wanted, file);
  const buf = readFileSync(file);
  const generateSeconds = (Date.now() - started) / 1000;
  const rounds = quick ? 3 : 5;
  const subject: number[] = [];
  const baseline: number[] = [];
  const ratios: number[] = [];
  let attempts = 0;
  // Warm-up, then interleaved rounds (observed, reading, reading, observed, ...).
  readOnly(buf);
  observe(buf);
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? ['observe', 'read'] : ['read', 'observe'];
    let so = 0;
    let sb = 0;
    for (const which of order) {
      const t0 = process.hrtime.bigint();
      if (which === 'observe') attempts = observe(buf).attempts;
      else consume(readOnly(buf));
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      if (which === 'observe') so = messages / seconds;
      else sb = messages / seconds;
    }
    subject.push(so);
    baseline.push(sb);
    ratios.push(so / sb);
  }
  const ratio = median(ratios);
  const common = { bench: 'observe', messages, fileBytes: buf.length, generateSeconds };
  printFigure({
    ...common,
    name: 'observed messages/s',
    value: Math.round(median(subject)),
    unit: 'msg/s',
    attempts,
  });
  printFigure({
    ...common,
    name: 'reading packets only, messages/s',
    value: Math.round(median(baseline)),
    unit: 'msg/s',
  });
  printFigure({
    ...common,
    name: 'observed / reading ratio',
    value: Math.round(ratio * 1000) / 1000,
    target: `>= ${TARGETS.ratioToReading}`,
    ok: ratio >= TARGETS.ratioToReading,
    rounds: ratios.map((x) => Math.round(x * 1000) / 1000),
  });
}

if (isMain(import.meta.url)) run(process.argv.includes('--quick'));
