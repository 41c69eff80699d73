/**
 * `pmip-exporter observe`: statistics from the Mobile IP traffic of an existing network, passively
 * (docs/observe.md). Input: a capture file (pcap or pcapng), a pcap stream on standard input, or
 * a live interface through tshark or tcpdump. Output: the same /metrics, pages and JSON as the
 * other modes, or with --summary the statistics document on standard output at the end of input.
 */
import { createReadStream, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { Option, type Command } from 'commander';
import pino from 'pino';
import { knownAgents, localSecurityAssociations } from '../app/site-config.ts';
import { Collector } from '../collector/collector.ts';
import { ConfigError, loadSiteConfig } from '../config/load.ts';
import { startExporterServer, type ExporterServer } from '../exporters/http-server.ts';
import { statisticsDocument } from '../exporters/statistics.ts';
import { DEFAULT_MIP_PORT, DEFAULT_TIMEOUT_SECONDS, WireObserver } from '../observe/observer.ts';
import { CaptureToolError, feedObserver, startLiveCapture, type LiveCapture } from '../observe/source.ts';
import { CliError } from './errors.ts';
import { checkLogLevel, hostPort, int } from './options.ts';
import { installShutdown, shutdownOnSignals, stopAfter } from './shutdown.ts';

/** Where `observe` serves /metrics and the pages unless --listen says otherwise. */
export const OBSERVE_LISTEN = '127.0.0.1:9436';
/** Senders (and agents) with a label of their own before the rest fold into `other`. */
export const OBSERVE_MAX_LABELS = 64;

function seconds(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0 || n > 86_400)
      throw new CliError(`--${name}: "${value}" must be a number of seconds above 0 and at most 86400`);
    return n;
  };
}

interface ObserveOptions {
  config?: string;
  pcap?: string;
  interface?: string;
  port: number;
  timeoutSeconds: number;
  realtime?: boolean;
  summary?: boolean;
  listen: { host: string; port: number };
  duration?: number;
  maxLabels: number;
  logLevel: string;
}

export function registerObserveCommand(program: Command): void {
  program
    .command('observe')
    .description(
      'statistics from the Mobile IP traffic of an existing network, passively: a capture file, a pcap stream on stdin, or a live interface',
    )
    .option('--pcap <file>', 'read a pcap or pcapng file; "-" reads a pcap stream on standard input')
    .option('--interface <name>', 'capture live on this interface with tshark (or tcpdump)')
    .option(
      '--config <file>',
      "a site file (pmip-exporter run's): its local SAs check authenticators, its access points and agents name senders and agents",
    )
    .option('--port <n>', 'UDP port of the registrations', int('port', 1, 65535), DEFAULT_MIP_PORT)
    .option(
      '--timeout-seconds <s>',
      'no usable reply this long after the last transmission: the attempt timed out (capture time)',
      seconds('timeout-seconds'),
      DEFAULT_TIMEOUT_SECONDS,
    )
    .option('--realtime', 'replay a file in capture time instead of as fast as possible')
    .option('--summary', 'at the end of input, print the statistics document (JSON) on stdout and exit 0')
    .option(
      '--duration <seconds>',
      'stop after this many seconds (live captures)',
      int('duration', 1, 10 ** 7),
    )
    .option(
      '--max-labels <n>',
      'senders and agents with a label of their own; the rest are "other"',
      int('max-labels', 1, 10_000),
      OBSERVE_MAX_LABELS,
    )
    .addOption(
      new Option('--listen <host:port>', 'HTTP listen address for /metrics and the pages')
        .argParser(hostPort)
        .default(hostPort(OBSERVE_LISTEN), OBSERVE_LISTEN),
    )
    .option('--log-level <level>', 'debug, info, warn or error', 'info')
    .action(async (o: ObserveOptions) => {
      await observeCommand(o);
    });
}

async function observeCommand(o: ObserveOptions): Promise<void> {
  checkLogLevel(o.logLevel);
  if ((o.pcap === undefined) === (o.interface === undefined))
    throw new CliError('observe: give exactly one of --pcap FILE, --pcap - or --interface NAME');
  if (o.realtime && o.pcap === undefined)
    throw new CliError('--realtime: only with --pcap (a live capture is real time)');
  // Logs on stderr: stdout is for --summary's JSON.
  const logger = pino({ level: o.logLevel, base: { app: 'pmip-exporter' } }, pino.destination(2));

  let site;
  if (o.config !== undefined) {
    try {
      site = loadSiteConfig(o.config);
    } catch (e) {
      if (e instanceof ConfigError) throw new CliError(e.message, 2);
      throw e;
    }
  }
  const senders = new Map((site?.accessPoints ?? []).map((ap) => [ap.address, ap.id]));
  const agents = site ? knownAgents(site) : { homeAgents: [], foreignAgents: [] };
  const observer = new WireObserver({
    emit: (e) => collector.ingest(e),
    ...(site ? { securityAssociations: localSecurityAssociations(site.securityAssociations) } : {}),
    ...(senders.size > 0 ? { senderName: (address: string) => senders.get(address) } : {}),
    port: o.port,
    timeoutSeconds: o.timeoutSeconds,
    onSkip: (kind, detail) =>
      logger.warn(
        { kind, detail },
        'observe: skipped input (counted; further ones of this kind are only counted)',
      ),
  });
  const collector = new Collector({
    accessPoints: [...senders.values()],
    homeAgents: agents.homeAgents.map((a) => ({ ...a, hosted: false })),
    foreignAgents: agents.foreignAgents.map((a) => ({ ...a, hosted: false })),
    maxUnconfiguredNodes: o.maxLabels,
    mode: 'observed',
    clock: () => (observer.now() > 0 ? observer.now() : Date.now()),
    views: { observation: () => observer.statistics() },
  });

  let input: Readable;
  let live: LiveCapture | undefined;
  let size: number | undefined;
  let source: string;
  if (o.interface !== undefined) {
    try {
      live = startLiveCapture(o.interface, o.port);
    } catch (e) {
      if (e instanceof CaptureToolError) throw new CliError(e.message, 1);
      throw e;
    }
    input = live.stdout;
    source = `interface ${o.interface} (${live.tool})`;
  } else if (o.pcap === '-') {
    input = process.stdin;
    source = 'standard input';
  } else {
    try {
      size = statSync(o.pcap!).size;
    } catch (e) {
      throw new CliError(`--pcap: cannot read ${o.pcap}: ${(e as Error).message}`, 1);
    }
    input = createReadStream(o.pcap!, { highWaterMark: 1 << 20 });
    source = o.pcap!;
  }

  let server: ExporterServer | undefined;
  if (!o.summary) {
    try {
      server = await startExporterServer({ collector, listen: o.listen, logger });
    } catch (e) {
      live?.stop();
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'EADDRINUSE')
        throw new CliError(`cannot listen: ${err.message} (choose another --listen)`, 1);
      throw e;
    }
    console.error(
      `pmip-exporter observe: ${source}; metrics ${server.url}/metrics, pages ${server.url}/ (registrations on UDP ${o.port})`,
    );
  }

  const abort = new AbortController();
  // Live: timeouts fall due in quiet spells too.
  const ticker = live ? setInterval(() => observer.advance(Date.now()), 1000) : undefined;
  const progress = (bytes: number, frames: number): void => {
    const share = size ? ` ${Math.floor((bytes / size) * 100)}% of ${(size / 1e6).toFixed(1)} MB,` : '';
    process.stderr.write(
      `observe:${share} ${frames} frames, ${observer.statistics().messages.requests} requests\n`,
    );
  };
  let printed = false;
  const printSummary = (): void => {
    if (printed) return;
    printed = true;
    process.stdout.write(`${JSON.stringify(statisticsDocument(collector.snapshot()), null, 2)}\n`);
  };
  const stop = async (): Promise<void> => {
    abort.abort();
    live?.stop();
    if (ticker) clearInterval(ticker);
    if (o.summary) printSummary();
    await server?.close();
  };

  const fed = feedObserver(input, observer, {
    realtime: o.realtime === true,
    ...(size !== undefined && size > 0 ? { onProgress: progress } : {}),
    onFirstFrame: (f) =>
      logger.info({ source, capturedAt: new Date(f.timestampMs).toISOString() }, 'observe: first frame read'),
    signal: abort.signal,
  }).then(
    (r) => {
      logger.info(
        { source, frames: r.frames, bytes: r.bytes, ...(r.problem ? { problem: r.problem } : {}) },
        'observe: end of input',
      );
    },
    (e: unknown) => logger.error({ err: String(e) }, 'observe: reading the input failed'),
  );

  if (live) {
    const tool = live;
    const ended = tool.exited.then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    const shutdown = installShutdown(logger, stop, o.duration);
    const first = await Promise.race([ended, shutdown.then(() => 'stopped' as const)]);
    if (first instanceof Error) {
      // The tool failed (no permission, no such interface, killed): the user's error, exit 1.
      // installShutdown's signal handlers and timer are armed, so this ends the process itself.
      abort.abort();
      if (ticker) clearInterval(ticker);
      await server?.close();
      console.error(`pmip-exporter: ${first.message}`);
      logger.flush();
      process.exit(1);
    }
    if (first === undefined) {
      // The tool ended by itself: the end of input, as with a file.
      await fed;
      logger.info('observe: the capture tool ended');
      if (o.summary) {
        printSummary();
        logger.flush();
        process.exit(0);
      }
      await shutdown;
    }
    return;
  }

  // A file or a stream: signals are handled from the start, not once the input has ended. A
  // stream on standard input may run for hours, and Ctrl-C on `tcpdump -w - | pmip-exporter
  // observe --pcap - --summary` (which signals both) must still print what was read.
  const shutdown = shutdownOnSignals(logger, stop);
  const first = await Promise.race([fed.then(() => 'ended' as const), shutdown.done]);
  if (first !== 'ended') return; // stopped by a signal: stop() printed the summary, if asked
  if (o.summary) {
    printSummary();
    await server?.close();
    return;
  }
  logger.info('observe: input ended; serving /metrics and the pages until stopped');
  if (o.duration !== undefined) stopAfter(shutdown, o.duration);
  await shutdown.done;
}
