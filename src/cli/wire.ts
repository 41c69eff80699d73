/**
 * `pmip-exporter wire decode|encode`: decode Mobile IPv4 messages from a capture file or a hex
 * UDP payload, and encode one from its JSON shape. The decoding itself lives in
 * src/capture/mobile-ip.ts; this module only reads files and stdin, checks options, prints and
 * sets the exit code. Every error is one line on stderr starting with `pmip-exporter: `; the key
 * is never printed. Exit codes: 0 ok, 2 usage or input error, 1 anything unexpected.
 */
import { readFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import {
  AUTH_ALGORITHMS,
  encodeAgentAdvertisement,
  encodeAgentSolicitation,
  encodeRegistration,
  isWireError,
  messageFromJson,
  parseKeyHex,
  type AuthAlgorithm,
} from '../pmip/wire/index.ts';
import { isPort } from '../pmip/wire/checks.ts';
import { isCaptureError } from '../capture/errors.ts';
import {
  decodeCapture,
  decodeRegistrationJson,
  MOBILE_IP_PORT,
  toJsonLine,
  type DecodeAuthentication,
} from '../capture/mobile-ip.ts';

export const EXIT_OK = 0;
export const EXIT_INTERNAL = 1;
export const EXIT_USAGE = 2;

/** A usage or input error: one line on stderr and exit 2. */
export class CliError extends Error {
  override readonly name = 'CliError';
}

/** Where the commands read and write; the real process by default, replaceable in tests. */
export interface WireIo {
  readFile(path: string): Promise<Buffer>;
  readStdin(): Promise<Buffer>;
  out(text: string): void;
  err(text: string): void;
}

async function readAll(stream: AsyncIterable<Buffer | string>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

/** `wire decode ... | head` closes our stdout early: stop quietly instead of crashing on EPIPE. */
function exitQuietlyOnClosedStdout(): void {
  if (process.stdout.listenerCount('error') > 0) return;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(EXIT_OK);
    throw e;
  });
}

export const processIo: WireIo = {
  readFile: (path) => readFile(path),
  readStdin: () => readAll(process.stdin),
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
};

/** Error text of a failed file read, without the stack (e.g. "ENOENT: no such file or directory"). */
function ioReason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err.code === 'string') {
    const reasons: Record<string, string> = {
      ENOENT: 'no such file',
      EACCES: 'permission denied',
      EISDIR: 'is a directory',
    };
    return reasons[err.code] ?? err.code;
  }
  return e instanceof Error ? e.message : String(e);
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

export interface AuthOptions {
  keyFile?: string;
  spi?: string;
  algorithm?: string;
}

export function parseSpi(text: string): number {
  const t = text.trim();
  const n = /^0x[0-9a-f]+$/i.test(t) ? Number.parseInt(t.slice(2), 16) : /^\d+$/.test(t) ? Number(t) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new CliError(`--spi: "${text}" is not an integer from 0 to 4294967295`);
  }
  return n;
}

export function parsePort(text: string): number {
  const n = /^\d+$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!isPort(n, 1)) {
    throw new CliError(`--port: "${text}" is not a UDP port from 1 to 65535`);
  }
  return n;
}

/** Parses hex bytes, tolerating spaces, colons and a 0x prefix (as tshark and xxd print them). */
export function parseHexBytes(text: string, what: string): Buffer {
  const clean = text.replace(/^\s*0x/i, '').replace(/[\s:]/g, '');
  if (clean.length === 0) throw new CliError(`${what}: no hex digits`);
  if (!/^[0-9a-fA-F]*$/.test(clean))
    throw new CliError(`${what}: not hex (only 0-9, a-f, spaces and colons)`);
  if (clean.length % 2 !== 0) throw new CliError(`${what}: odd number of hex digits (${clean.length})`);
  return Buffer.from(clean, 'hex');
}

/** The SA from --key-file/--spi/--algorithm, or undefined when neither is given. */
export async function loadAuthentication(
  opts: AuthOptions,
  io: WireIo,
): Promise<DecodeAuthentication | undefined> {
  const algorithm = opts.algorithm ?? 'prefix-suffix';
  if (!AUTH_ALGORITHMS.includes(algorithm as AuthAlgorithm)) {
    throw new CliError(`--algorithm: "${algorithm}" is not one of ${AUTH_ALGORITHMS.join(', ')}`);
  }
  if (opts.keyFile === undefined && opts.spi === undefined) return undefined;
  if (opts.keyFile === undefined) throw new CliError('--spi needs --key-file (the key of that SPI)');
  if (opts.spi === undefined) throw new CliError('--key-file needs --spi (the SPI the key belongs to)');
  const spi = parseSpi(opts.spi);
  let content: Buffer;
  try {
    content = await io.readFile(opts.keyFile);
  } catch (e) {
    throw new CliError(`cannot read key file ${opts.keyFile}: ${ioReason(e)}`);
  }
  let key: Buffer;
  try {
    key = parseKeyHex(content.toString('utf8'));
  } catch {
    // parseKeyHex never echoes the key; neither do we.
    throw new CliError(
      `key file ${opts.keyFile}: must hold the key as hex digits (an even number, 32 for a 16-byte key)`,
    );
  }
  return { spi, key, algorithm: algorithm as AuthAlgorithm };
}

export interface DecodeCommandOptions extends AuthOptions {
  pcap?: string;
  hex?: string;
  port?: string;
}

/** `wire decode`: prints one JSON line per message; returns the exit code. */
export async function runDecode(opts: DecodeCommandOptions, io: WireIo): Promise<number> {
  if ((opts.pcap === undefined) === (opts.hex === undefined)) {
    throw new CliError('wire decode needs exactly one of --pcap FILE and --hex HEX');
  }
  if (opts.hex !== undefined && opts.port !== undefined) {
    throw new CliError('--port applies to --pcap only (--hex is one UDP payload)');
  }
  const port = opts.port === undefined ? MOBILE_IP_PORT : parsePort(opts.port);
  const auth = await loadAuthentication(opts, io);

  if (opts.hex !== undefined) {
    const payload = parseHexBytes(opts.hex, '--hex');
    try {
      io.out(`${toJsonLine(decodeRegistrationJson(payload, auth))}\n`);
    } catch (e) {
      if (isWireError(e)) throw new CliError(`malformed registration message: ${e.message}`);
      throw e;
    }
    return EXIT_OK;
  }

  const file = opts.pcap!;
  let bytes: Buffer;
  try {
    bytes = file === '-' ? await io.readStdin() : await io.readFile(file);
  } catch (e) {
    throw new CliError(`cannot read capture file ${file}: ${ioReason(e)}`);
  }
  const lines: string[] = [];
  const flush = () => {
    if (lines.length) io.out(`${lines.join('\n')}\n`);
    lines.length = 0;
  };
  try {
    for (const record of decodeCapture(bytes, { port, ...(auth ? { auth } : {}) })) {
      lines.push(toJsonLine(record));
      if (lines.length >= 512) flush();
    }
  } catch (e) {
    flush(); // the messages before the break are good
    if (isCaptureError(e)) throw new CliError(`capture file ${file}: ${e.message}`);
    throw e;
  }
  flush();
  return EXIT_OK;
}

export type EncodeCommandOptions = AuthOptions;

/** `wire encode`: one JSON message on stdin, its bytes as lowercase hex on stdout. */
export async function runEncode(opts: EncodeCommandOptions, io: WireIo): Promise<number> {
  const auth = await loadAuthentication(opts, io);
  let text: string;
  try {
    text = (await io.readStdin()).toString('utf8');
  } catch (e) {
    throw new CliError(`cannot read standard input: ${ioReason(e)}`);
  }
  if (text.trim() === '')
    throw new CliError('wire encode reads one JSON message on standard input; got none');
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (e) {
    throw new CliError(
      `invalid JSON on standard input: ${oneLine(e instanceof Error ? e.message : String(e))}`,
    );
  }
  try {
    const message = messageFromJson(input);
    let bytes: Buffer;
    if (message.type === 'registration-request' || message.type === 'registration-reply') {
      bytes = encodeRegistration(message, auth ? { ...auth, type: 32 } : undefined);
    } else {
      if (auth) throw new CliError(`--key-file/--spi apply to registration messages, not to ${message.type}`);
      bytes =
        message.type === 'agent-advertisement'
          ? encodeAgentAdvertisement(message)
          : encodeAgentSolicitation();
    }
    io.out(`${bytes.toString('hex')}\n`);
  } catch (e) {
    if (isWireError(e)) throw new CliError(`invalid message: ${oneLine(e.message)}`);
    throw e;
  }
  return EXIT_OK;
}

/** Runs a command body: CliError -> one stderr line and exit 2; anything else -> exit 1. */
export async function runCommand(body: () => Promise<number>, io: WireIo): Promise<number> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof CliError) {
      io.err(`pmip-exporter: ${oneLine(e.message)}\n`);
      return EXIT_USAGE;
    }
    io.err(`pmip-exporter: internal error: ${oneLine(e instanceof Error ? e.message : String(e))}\n`);
    return EXIT_INTERNAL;
  }
}

function authOptions(cmd: Command): Command {
  return cmd
    .option('--key-file <file>', 'file holding the Mobile-Home key as hex digits')
    .option('--spi <n>', 'SPI of that key (decimal or 0x hex)')
    .addOption(
      new Option('--algorithm <name>', 'authenticator algorithm')
        .choices([...AUTH_ALGORITHMS])
        .default('prefix-suffix'),
    );
}

/** `pmip-exporter wire ...`: decode and encode Mobile IPv4 messages. */
export function registerWireCommands(program: Command, io: WireIo = processIo): void {
  const wire = program
    .command('wire')
    .description('decode and encode Mobile IPv4 messages (registration, agent advertisement)')
    .configureOutput({
      writeOut: (s) => io.out(s),
      writeErr: (s) => io.err(s),
      // commander's own errors (unknown option, missing value) become one `pmip-exporter: ` line
      outputError: (s, write) => write(`pmip-exporter: ${oneLine(s.replace(/^error: /, ''))}\n`),
    })
    .showHelpAfterError(false)
    .exitOverride((err) => {
      process.exit(err.exitCode === 0 ? EXIT_OK : EXIT_USAGE);
    });

  authOptions(
    wire
      .command('decode')
      .description(
        'decode registration messages (UDP) and agent advertisements/solicitations (ICMP) from a pcap or pcapng file, or one UDP payload given as hex; prints one JSON object per line',
      )
      .option('--pcap <file>', 'capture file (pcap or pcapng; "-" reads standard input)')
      .option('--hex <hex>', 'one UDP payload (a registration request or reply) as hex')
      .option(
        '--port <n>',
        `UDP port of registration messages (default ${MOBILE_IP_PORT}; either port may match)`,
      ),
  ).action(async (opts: DecodeCommandOptions) => {
    if (io === processIo) exitQuietlyOnClosedStdout();
    process.exitCode = await runCommand(() => runDecode(opts, io), io);
  });

  authOptions(
    wire
      .command('encode')
      .description(
        'read one JSON message on standard input and print its bytes as lowercase hex (UDP payload, or ICMP message for agent advertisements and solicitations)',
      ),
  ).action(async (opts: EncodeCommandOptions) => {
    process.exitCode = await runCommand(() => runEncode(opts, io), io);
  });
}
