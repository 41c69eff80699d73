/**
 * Where observed traffic comes from: a capture file, a pcap stream on standard input, or a live
 * interface through tshark or tcpdump (started here, writing pcap to a pipe). Every source feeds
 * the observer frame by frame; a broken or cut capture is reported and ends the input, never the
 * process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { CaptureError } from '../capture/errors.ts';
import type { CaptureFrame } from '../capture/pcap.ts';
import { CaptureStreamReader } from '../capture/stream.ts';
import type { WireObserver } from './observer.ts';

export interface FeedOptions {
  /** Replay in capture time (a packet waits until as much time passed as in the capture). */
  realtime?: boolean;
  /** Called now and then with the bytes read so far (the progress line). */
  onProgress?: (bytes: number, frames: number) => void;
  /** Stop early (live captures with a duration, shutdown). */
  signal?: AbortSignal;
  /** Called once, with the first frame read (before the observer sees it). */
  onFirstFrame?: (frame: CaptureFrame) => void;
}

export interface FeedResult {
  frames: number;
  bytes: number;
  /** Set when the capture was cut short or broken: what was wrong (already reported to the observer). */
  problem?: string;
}

const PROGRESS_EVERY_MS = 1000;

/** Reads a pcap or pcapng stream to its end into the observer. */
export async function feedObserver(
  input: Readable,
  observer: WireObserver,
  o: FeedOptions = {},
): Promise<FeedResult> {
  const reader = new CaptureStreamReader();
  let frames = 0;
  let lastProgress = Date.now();
  let replayStart: { wall: number; capture: number } | undefined;
  let problem: string | undefined;
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      if (o.signal?.aborted) break;
      let batch;
      try {
        batch = reader.push(chunk);
      } catch (e) {
        if (!(e instanceof CaptureError)) throw e;
        problem = e.message;
        observer.captureProblem('capture-error', e.message);
        break;
      }
      for (const f of batch) {
        if (o.realtime) {
          const at = Number(f.timestampNs / 1_000_000n);
          replayStart ??= { wall: Date.now(), capture: at };
          const wait = replayStart.wall + (at - replayStart.capture) - Date.now();
          if (wait > 0) await sleep(wait, o.signal);
          if (o.signal?.aborted) break;
        }
        if (frames === 0) o.onFirstFrame?.(f);
        observer.frame(f);
        frames++;
      }
      const now = Date.now();
      if (o.onProgress && now - lastProgress >= PROGRESS_EVERY_MS) {
        lastProgress = now;
        o.onProgress(reader.bytes, frames);
      }
    }
  } catch (e) {
    // A read error of the input itself (a closed pipe, an I/O error): reported, not fatal.
    if (o.signal?.aborted) return { frames, bytes: reader.bytes };
    problem = e instanceof Error ? e.message : String(e);
    observer.captureProblem('capture-error', problem);
  }
  observer.flush();
  const end = reader.end();
  if (!problem && end.leftoverBytes > 0 && !o.signal?.aborted) {
    problem = `capture ends inside a record: ${end.leftoverBytes} bytes after byte ${end.offset} were dropped`;
    observer.captureProblem('truncated', problem);
  }
  return { frames, bytes: reader.bytes, ...(problem !== undefined ? { problem } : {}) };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * The capture filter for registrations on `port` and ICMP router advertisements (9) and
 * solicitations (10), the agent discovery messages of RFC 5944 section 2.
 */
export function captureFilter(port: number): string {
  return `udp port ${port} or (icmp and (icmp[0] = 9 or icmp[0] = 10))`;
}

export class CaptureToolError extends Error {
  override readonly name = 'CaptureToolError';
}

/** The first of the names that is an executable file on PATH. */
export function findExecutable(
  names: readonly string[],
  searchPath = process.env.PATH ?? '',
): string | undefined {
  for (const name of names) {
    for (const dir of searchPath.split(path.delimiter)) {
      if (!dir) continue;
      const file = path.join(dir, name);
      try {
        accessSync(file, constants.X_OK);
        return file;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

export interface LiveCapture {
  tool: string;
  process: ChildProcess;
  stdout: Readable;
  /** Resolves when the tool exited; rejects with CaptureToolError when it failed (no permission, no such interface). */
  exited: Promise<void>;
  stop(): void;
}

/**
 * Starts tshark (or tcpdump when tshark is absent) on `iface` writing pcap to its standard
 * output: `tshark -i IFACE -f FILTER -F pcap -w -`, `tcpdump -i IFACE -U -w - FILTER`.
 */
export function startLiveCapture(iface: string, port: number, tools = ['tshark', 'tcpdump']): LiveCapture {
  const tool = findExecutable(tools);
  if (!tool)
    throw new CaptureToolError(
      `--interface: neither ${tools.join(' nor ')} is installed (install tshark or tcpdump, or capture elsewhere and use --pcap)`,
    );
  const filter = captureFilter(port);
  const args =
    path.basename(tool) === 'tcpdump'
      ? ['-i', iface, '-U', '-n', '-w', '-', filter]
      : ['-i', iface, '-f', filter, '-F', 'pcap', '-w', '-', '-q'];
  const child = spawn(tool, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => {
    if (stderr.length < 8192) stderr += s;
  });
  let stopping = false;
  const exited = new Promise<void>((resolve, reject) => {
    child.once('error', (e) =>
      reject(new CaptureToolError(`--interface: cannot start ${tool}: ${e.message}`)),
    );
    child.once('exit', (code, signal) => {
      if (stopping || code === 0 || signal === 'SIGTERM' || signal === 'SIGINT') return resolve();
      const text = stderr
        .split('\n')
        .filter((l) => l.trim() !== '' && !/running as user "root"|^Capturing on/i.test(l))
        .join(' ')
        .trim();
      const denied = /permission|not permitted|operation not permitted/i.test(text);
      reject(
        new CaptureToolError(
          denied
            ? `--interface ${iface}: capture not permitted (${text}); run as root or give ${path.basename(tool)} the capture capability (setcap cap_net_raw,cap_net_admin+eip)`
            : `--interface ${iface}: ${path.basename(tool)} exited with ${code ?? signal}: ${text || 'no message'}`,
        ),
      );
    });
  });
  return {
    tool,
    process: child,
    stdout: child.stdout,
    exited,
    stop() {
      stopping = true;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    },
  };
}
