/**
 * `pmip-exporter wire decode|encode` as a user runs it: a child process
 * (`node --import tsx src/cli/main.ts wire ...` in the repository root), its stdout, stderr and
 * exit code. The key must never appear in any output.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEthernet, buildUdp, onesComplementChecksum, PcapWriter } from '../../src/capture/index.ts';
import {
  advertisementFlags,
  encodeAgentAdvertisement,
  encodeAgentSolicitation,
  encodeRegistration,
  findAuthExtension,
  decodeRegistrationLayout,
  requestFlags,
  type AgentAdvertisement,
  type RegistrationReply,
  type RegistrationRequest,
} from '../../src/pmip/wire/index.ts';
import {
  runCommand,
  runDecode,
  runEncode,
  type DecodeCommandOptions,
  type EncodeCommandOptions,
  type WireIo,
} from '../../src/cli/wire.ts';

const repoRoot = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const KEY_HEX = '8f3a5c7e91b2d4f60a1c3e5f7d9b2468';
const KEY = Buffer.from(KEY_HEX, 'hex');
const OTHER_KEY_HEX = '00000000000000000000000000000001';
const SECRET_JUNK = 'zzSECRETzz-not-hex';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI; asserts on the way that no key material shows up in anything it printed. */
function cli(args: string[], input?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'wire', ...args], {
      cwd: repoRoot,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      for (const secret of [KEY_HEX, KEY_HEX.toUpperCase(), OTHER_KEY_HEX, SECRET_JUNK]) {
        expect(stdout + stderr, 'key material in the output').not.toContain(secret);
      }
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input ?? '');
  });
}

/** Asserts a usage/input error: exit 2, nothing on stdout (unless allowed), one stderr line. */
function expectOneLineError(run: Run, pattern: RegExp, code = 2): void {
  expect(run.code).toBe(code);
  expect(run.stderr.endsWith('\n')).toBe(true);
  expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(run.stderr).toMatch(/^pmip-exporter: /);
  expect(run.stderr).toMatch(pattern);
}

const request: RegistrationRequest = {
  type: 'registration-request',
  flags: requestFlags({ T: true, S: true }),
  lifetime: 1800,
  homeAddress: '192.0.2.10',
  homeAgent: '198.51.100.1',
  careOfAddress: '203.0.113.7',
  identification: 0xe8b2_1a00_0000_0457n,
  extensions: [{ kind: 'nai', type: 131, nai: 'ap-7@pmip.example' }],
};
const reply: RegistrationReply = {
  type: 'registration-reply',
  code: 133,
  lifetime: 0,
  homeAddress: '192.0.2.10',
  homeAgent: '198.51.100.1',
  identification: 0xe8b2_1b00_0000_0457n,
  extensions: [],
};
const advertisement: AgentAdvertisement = {
  type: 'agent-advertisement',
  icmpCode: 0,
  routerLifetime: 1800,
  routerAddresses: [{ address: '203.0.113.7', preference: 0 }],
  sequence: 257,
  registrationLifetime: 600,
  flags: advertisementFlags({ R: true, F: true, T: true }),
  careOfAddresses: ['203.0.113.7'],
  prefixLengths: [24],
  padding: 0,
};
const signedRequest = encodeRegistration(request, { spi: 0x1001, key: KEY, algorithm: 'prefix-suffix' });
const signedReply = encodeRegistration(reply, { spi: 0x2002, key: KEY, algorithm: 'prefix-suffix' });
const authenticatorOf = (bytes: Buffer): string =>
  findAuthExtension(decodeRegistrationLayout(bytes))!.extension.authenticator.toString('hex');

const REQUEST_JSON =
  '{"type":"registration-request","flags":["S","T"],"lifetime":1800,"homeAddress":"192.0.2.10",' +
  '"homeAgent":"198.51.100.1","careOfAddress":"203.0.113.7","identification":"e8b21a0000000457",' +
  `"extensions":[{"type":131,"nai":"ap-7@pmip.example"},{"type":32,"spi":4097,"authenticator":"${authenticatorOf(signedRequest)}"}]}`;
const REPLY_JSON =
  '{"type":"registration-reply","code":133,"codeName":"ha_identification_mismatch","lifetime":0,' +
  '"homeAddress":"192.0.2.10","homeAgent":"198.51.100.1","identification":"e8b21b0000000457",' +
  `"extensions":[{"type":32,"spi":8194,"authenticator":"${authenticatorOf(signedReply)}"}]}`;
const ADVERTISEMENT_JSON =
  '{"type":"agent-advertisement","icmpCode":0,"routerLifetime":1800,' +
  '"routerAddresses":[{"address":"203.0.113.7","preference":0}],"sequence":257,' +
  '"registrationLifetime":600,"flags":["R","F","T"],"careOfAddresses":["203.0.113.7"],"prefixLengths":[24]}';

const withFrame = (frame: number, src: string, dst: string, json: string): string =>
  `{"frame":${frame},"src":"${src}","dst":"${dst}",${json.slice(1)}`;
const withAuthentic = (line: string, authentic: boolean): string =>
  `${line.slice(0, -1)},"authentic":${authentic}}`;

let dir: string;
let pcapFile: string;
let keyFile: string;
let otherKeyFile: string;
let junkKeyFile: string;
let pcapBytes: Buffer;

/** The lines `wire decode --pcap site.pcap` must print, exactly. */
const PCAP_LINES = [
  withFrame(1, '203.0.113.7', '198.51.100.1', REQUEST_JSON),
  withFrame(3, '203.0.113.7', '255.255.255.255', ADVERTISEMENT_JSON),
  '{"frame":5,"error":"truncated at byte 20: registration request needs 24 bytes, got 20"}',
  withFrame(7, '198.51.100.1', '203.0.113.7', REPLY_JSON),
  withFrame(8, '203.0.113.99', '224.0.0.2', '{"type":"agent-solicitation"}'),
];

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'pmip-cli-'));
  const w = new PcapWriter();
  // 1: request, FA -> HA
  w.addUdp({ src: '203.0.113.7', dst: '198.51.100.1', srcPort: 49152, dstPort: 434, payload: signedRequest });
  // 2: an ICMP echo request: skipped
  const echo = Buffer.from('0800000000010001', 'hex');
  echo.writeUInt16BE(onesComplementChecksum(echo), 2);
  w.addIcmp({ src: '203.0.113.7', dst: '198.51.100.1', icmp: echo });
  // 3: agent advertisement, broadcast
  w.addIcmp({
    src: '203.0.113.7',
    dst: '255.255.255.255',
    ttl: 1,
    icmp: encodeAgentAdvertisement(advertisement),
  });
  // 4: DNS-like traffic on other ports: skipped
  w.addUdp({
    src: '203.0.113.7',
    dst: '198.51.100.53',
    srcPort: 5353,
    dstPort: 53,
    payload: Buffer.alloc(12),
  });
  // 5: a malformed registration message (cut after 20 bytes)
  const cut = signedRequest.subarray(0, 20);
  w.addUdp({ src: '203.0.113.7', dst: '198.51.100.1', srcPort: 49152, dstPort: 434, payload: cut });
  // 6: a plain RFC 1256 router advertisement (no extension 16): skipped
  const ra = Buffer.from('09000000010207080a00000100000000', 'hex');
  ra.writeUInt16BE(onesComplementChecksum(ra), 2);
  w.addIcmp({ src: '10.0.0.1', dst: '224.0.0.1', ttl: 1, icmp: ra });
  // 7: reply, HA -> FA (source port 434), in an 802.1Q-tagged frame
  const replyIp = buildUdp({
    src: '198.51.100.1',
    dst: '203.0.113.7',
    srcPort: 434,
    dstPort: 49152,
    payload: signedReply,
  });
  w.addFrame(buildEthernet(replyIp, { vlan: 7 }));
  // 8: agent solicitation
  w.addIcmp({ src: '203.0.113.99', dst: '224.0.0.2', ttl: 1, icmp: encodeAgentSolicitation() });
  pcapBytes = w.toBuffer();
  pcapFile = path.join(dir, 'site.pcap');
  writeFileSync(pcapFile, pcapBytes);
  keyFile = path.join(dir, 'mh.key');
  writeFileSync(keyFile, `${KEY_HEX}\n`);
  otherKeyFile = path.join(dir, 'other.key');
  writeFileSync(otherKeyFile, OTHER_KEY_HEX);
  junkKeyFile = path.join(dir, 'junk.key');
  writeFileSync(junkKeyFile, SECRET_JUNK);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs a command function in-process with the given stdin; same exit codes and output as the CLI. */
async function inProcess(body: (io: WireIo) => Promise<number>, stdin: string | Buffer = ''): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: WireIo = {
    readFile: (f) => readFile(f),
    readStdin: async () => Buffer.from(stdin),
    out: (t) => void (stdout += t),
    err: (t) => void (stderr += t),
  };
  const code = await runCommand(() => body(io), io);
  for (const secret of [KEY_HEX, KEY_HEX.toUpperCase(), OTHER_KEY_HEX, SECRET_JUNK]) {
    expect(stdout + stderr, 'key material in the output').not.toContain(secret);
  }
  return { code, stdout, stderr };
}

// Child processes cost about a second each (tsx start-up): the tests below start 15 of them,
// concurrently, and test the finer points in-process through the same command functions.
describe.concurrent('pmip-exporter wire (child process)', () => {
  it('decode --pcap prints one JSON line per message, the malformed one as an error, and exits 0', async () => {
    const run = await cli(['decode', '--pcap', pcapFile]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${PCAP_LINES.join('\n')}\n`);
  });

  it('decode --pcap --key-file --spi says authentic true for the matching SPI only', async () => {
    const run = await cli(['decode', '--pcap', pcapFile, '--key-file', keyFile, '--spi', '4097']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(withAuthentic(PCAP_LINES[0]!, true));
    expect(lines.slice(1)).toEqual(PCAP_LINES.slice(1)); // the reply uses SPI 8194: no verdict
  });

  it('decode --pcap says authentic false with a wrong key', async () => {
    const run = await cli(['decode', '--pcap', pcapFile, '--key-file', otherKeyFile, '--spi', '4097']);
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')[0]).toBe(withAuthentic(PCAP_LINES[0]!, false));
  });

  it('decode --hex decodes one UDP payload (tshark-style colons too) and checks it with hmac-md5', async () => {
    const payload = encodeRegistration(reply, { spi: 8194, key: KEY, algorithm: 'hmac-md5' });
    const colons = payload.toString('hex').replace(/(..)(?!$)/g, '$1:');
    const args = [
      'decode',
      '--hex',
      colons,
      '--key-file',
      keyFile,
      '--spi',
      '8194',
      '--algorithm',
      'hmac-md5',
    ];
    const run = await cli(args);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      `${REPLY_JSON.replace(authenticatorOf(signedReply), authenticatorOf(payload)).slice(0, -1)},"authentic":true}\n`,
    );
  });

  it('encode prints lowercase hex, and decode --hex gives the same message back', async () => {
    const input = REQUEST_JSON.replace(/,\{"type":32[^}]*\}/, ''); // without the auth extension
    const enc = await cli(['encode'], input);
    expect(enc.stderr).toBe('');
    expect(enc.code).toBe(0);
    expect(enc.stdout).toBe(`${encodeRegistration(request).toString('hex')}\n`);
    expect(enc.stdout).toMatch(/^[0-9a-f]+\n$/);
    const dec = await cli(['decode', '--hex', enc.stdout.trim()]);
    expect(dec.code).toBe(0);
    expect(dec.stdout).toBe(`${input}\n`);
  });

  it('encode --key-file --spi appends the Mobile-Home authentication extension', async () => {
    const input = REPLY_JSON.replace(/\{"type":32[^}]*\}/, '');
    const enc = await cli(['encode', '--key-file', keyFile, '--spi', '8194'], input);
    expect(enc.code).toBe(0);
    expect(enc.stdout).toBe(`${signedReply.toString('hex')}\n`);
  });

  it('a missing capture file: exit 2, one line', async () => {
    const missing = path.join(dir, 'nope.pcap');
    const run = await cli(['decode', '--pcap', missing]);
    expectOneLineError(run, /^pmip-exporter: cannot read capture file .*nope\.pcap: no such file\n$/);
    expect(run.stdout).toBe('');
  });

  it('a truncated capture: the messages before it, then exit 2 and one line naming the offset', async () => {
    const file = path.join(dir, 'truncated.pcap');
    writeFileSync(file, pcapBytes.subarray(0, pcapBytes.length - 10)); // inside frame 8's record
    const run = await cli(['decode', '--pcap', file]);
    const offset = pcapBytes.length - 16 - 42;
    expectOneLineError(
      run,
      new RegExp(
        `^pmip-exporter: capture file .*truncated\\.pcap: truncated at byte ${offset}: frame 8 declares 42 captured bytes, 32 remain\\n$`,
      ),
    );
    expect(run.stdout).toBe(`${PCAP_LINES.slice(0, 4).join('\n')}\n`);
  });

  it('bad hex: exit 2, one line', async () => {
    expectOneLineError(await cli(['decode', '--hex', 'zz01']), /^pmip-exporter: --hex: not hex/);
  });

  it('invalid JSON: exit 2, one line', async () => {
    const run = await cli(['encode'], '{"type": "registration-request",');
    expectOneLineError(run, /^pmip-exporter: invalid JSON on standard input: /);
    expect(run.stdout).toBe('');
  });

  it('a field that fails validation is named: exit 2, one line', async () => {
    const run = await cli(['encode'], REQUEST_JSON.replace('"lifetime":1800', '"lifetime":70000'));
    expectOneLineError(run, /^pmip-exporter: invalid message: bad-value: lifetime: .*65535/);
  });

  it('--spi without --key-file: exit 2, one line', async () => {
    const run = await cli(['decode', '--pcap', pcapFile, '--spi', '4097']);
    expectOneLineError(run, /^pmip-exporter: --spi needs --key-file/);
    expect(run.stdout).toBe('');
  });

  it('commander errors (bad --algorithm, unknown option) are one pmip-exporter line with exit 2', async () => {
    const algorithm = await cli(['decode', '--hex', '00', '--algorithm', 'sha1']);
    expectOneLineError(
      algorithm,
      /^pmip-exporter: option '--algorithm <name>' argument 'sha1' is invalid\. Allowed choices are prefix-suffix, hmac-md5\.\n$/,
    );
    const unknown = await cli(['encode', '--bogus']);
    expectOneLineError(unknown, /^pmip-exporter: unknown option '--bogus'\n$/);
  });
});

describe('wire commands in-process', () => {
  const decode = (opts: DecodeCommandOptions, stdin?: string | Buffer) =>
    inProcess((io) => runDecode(opts, io), stdin);
  const encode = (opts: EncodeCommandOptions, stdin: string) => inProcess((io) => runEncode(opts, io), stdin);

  it('decodes the pcap like the child process does, with the SPI in hex too', async () => {
    const run = await decode({ pcap: pcapFile, keyFile, spi: '0x2002' });
    expect(run.code).toBe(0);
    expect(run.stdout.trimEnd().split('\n')).toEqual([
      ...PCAP_LINES.slice(0, 3),
      withAuthentic(PCAP_LINES[3]!, true),
      PCAP_LINES[4],
    ]);
  });

  it('says authentic false for the right key under the other algorithm', async () => {
    const run = await decode({ pcap: pcapFile, keyFile, spi: '4097', algorithm: 'hmac-md5' });
    expect(run.stdout.split('\n')[0]).toBe(withAuthentic(PCAP_LINES[0]!, false));
  });

  it('takes another UDP port with --port (either port matches)', async () => {
    const w = new PcapWriter();
    w.addUdp({ src: '10.0.0.2', dst: '10.0.0.1', srcPort: 7777, dstPort: 4434, payload: signedRequest });
    w.addUdp({ src: '10.0.0.2', dst: '10.0.0.1', srcPort: 7777, dstPort: 434, payload: signedRequest });
    w.addUdp({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 4434, dstPort: 7777, payload: signedReply });
    const file = path.join(dir, 'port.pcap');
    writeFileSync(file, w.toBuffer());
    const run = await decode({ pcap: file, port: '4434' });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      `${withFrame(1, '10.0.0.2', '10.0.0.1', REQUEST_JSON)}\n${withFrame(3, '10.0.0.1', '10.0.0.2', REPLY_JSON)}\n`,
    );
  });

  it('reads the capture from standard input with --pcap -', async () => {
    const run = await decode({ pcap: '-' }, pcapBytes);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${PCAP_LINES.join('\n')}\n`);
  });

  it('reports a file that is no capture', async () => {
    const file = path.join(dir, 'text.pcap');
    writeFileSync(file, 'just some text\n');
    const run = await decode({ pcap: file });
    expectOneLineError(run, /^pmip-exporter: capture file .*text\.pcap: bad-magic at byte 0: /);
  });

  it('reports odd hex and malformed messages given with --hex', async () => {
    expectOneLineError(
      await decode({ hex: '012' }),
      /^pmip-exporter: --hex: odd number of hex digits \(3\)\n$/,
    );
    expectOneLineError(await decode({ hex: '' }), /^pmip-exporter: --hex: no hex digits\n$/);
    const cut = await decode({ hex: signedRequest.subarray(0, 30).toString('hex') });
    expectOneLineError(
      cut,
      /^pmip-exporter: malformed registration message: bad-length at byte 24: extension 131 declares 17 data bytes, 4 remain\n$/,
    );
    expect(cut.stdout).toBe('');
  });

  it('encodes agent advertisements and solicitations as ICMP messages', async () => {
    const adv = await encode({}, ADVERTISEMENT_JSON);
    expect(adv.code).toBe(0);
    expect(adv.stdout).toBe(`${encodeAgentAdvertisement(advertisement).toString('hex')}\n`);
    expect((await encode({}, '{"type":"agent-solicitation"}')).stdout).toBe('0a00f5ff00000000\n');
  });

  it('takes a decode output line as encode input (extra fields are ignored)', async () => {
    const run = await encode({}, withFrame(1, '203.0.113.7', '198.51.100.1', REQUEST_JSON));
    expect(run.stdout).toBe(`${signedRequest.toString('hex')}\n`);
  });

  it('encodes with hmac-md5', async () => {
    const input = REPLY_JSON.replace(/\{"type":32[^}]*\}/, '');
    const run = await encode({ keyFile, spi: '8194', algorithm: 'hmac-md5' }, input);
    const expected = encodeRegistration(reply, { spi: 8194, key: KEY, algorithm: 'hmac-md5' });
    expect(run.stdout).toBe(`${expected.toString('hex')}\n`);
  });

  it('names the field that fails validation', async () => {
    const badAddress = await encode({}, REQUEST_JSON.replace('"203.0.113.7"', '"203.0.113.700"'));
    expectOneLineError(badAddress, /careOfAddress: must be a dotted-quad IPv4 address/);
    const badExtension = await encode({}, REQUEST_JSON.replace('"type":131', '"type":99'));
    expectOneLineError(badExtension, /^pmip-exporter: invalid message: bad-value: extensions\[0\]/);
    const badType = await encode({}, '{"type":"registration-revocation"}');
    expectOneLineError(badType, /^pmip-exporter: invalid message: bad-value: type: /);
    const tooLong = await encode(
      {},
      JSON.stringify({ ...JSON.parse(REQUEST_JSON), extensions: [{ type: 131, nai: 'x'.repeat(300) }] }),
    );
    expectOneLineError(tooLong, /extensions\[0\]\.nai: 300 bytes, at most 255/);
  });

  it('reports empty input and a JSON array', async () => {
    expectOneLineError(await encode({}, '  \n'), /^pmip-exporter: wire encode reads one JSON message/);
    expectOneLineError(await encode({}, '[]'), /^pmip-exporter: invalid message: /);
  });

  it('checks the authentication options', async () => {
    const keyOnly = await encode({ keyFile }, '{"type":"agent-solicitation"}');
    expectOneLineError(keyOnly, /^pmip-exporter: --key-file needs --spi/);
    const junk = await decode({ pcap: pcapFile, keyFile: junkKeyFile, spi: '4097' });
    expectOneLineError(junk, /^pmip-exporter: key file .*junk\.key: must hold the key as hex digits/);
    const missing = await decode({ pcap: pcapFile, keyFile: path.join(dir, 'none.key'), spi: '1' });
    expectOneLineError(missing, /^pmip-exporter: cannot read key file .*none\.key: no such file\n$/);
    expectOneLineError(await decode({ pcap: pcapFile, keyFile, spi: 'x1' }), /--spi: "x1" is not an integer/);
    expectOneLineError(await decode({ pcap: pcapFile, keyFile, spi: '4294967296' }), /--spi: "4294967296"/);
    const adv = await encode({ keyFile, spi: '1' }, ADVERTISEMENT_JSON);
    expectOneLineError(adv, /apply to registration messages, not to agent-advertisement/);
  });

  it('checks the other decode options', async () => {
    expectOneLineError(await decode({ pcap: pcapFile, port: '70000' }), /--port: "70000" is not a UDP port/);
    expectOneLineError(await decode({}), /needs exactly one of --pcap FILE and --hex HEX/);
    expectOneLineError(await decode({ pcap: pcapFile, hex: '01' }), /needs exactly one of/);
    expectOneLineError(await decode({ hex: '01', port: '434' }), /--port applies to --pcap only/);
  });
});
