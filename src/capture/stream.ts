/**
 * Incremental capture reading: pcap or pcapng arriving in chunks (a pipe from `tcpdump -w -` or
 * `tshark -w -`, a file read piece by piece). `push(chunk)` returns the frames that became
 * complete; `end()` says whether bytes were left over (a capture cut inside a record). The
 * parsing itself is the whole-buffer reader's (pcap.ts): only complete records or blocks reach
 * it, so frames, numbers and errors are the same as reading the file at once.
 */
import { CaptureError } from './errors.ts';
import {
  detectCaptureFormat,
  readPcapFrames,
  readPcapngFrames,
  type CaptureFormat,
  type CaptureFrame,
} from './pcap.ts';

const PCAP_FILE_HEADER_LENGTH = 24;
const PCAP_RECORD_HEADER_LENGTH = 16;
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_IDB = 1;
const MAX_BLOCK_LENGTH = 16 * 1024 * 1024;

export class CaptureStreamReader {
  private pending: Buffer = Buffer.alloc(0);
  private format: CaptureFormat | undefined;
  /** pcap: the file header. pcapng: the current section header and interface blocks. */
  private header: Buffer = Buffer.alloc(0);
  private littleEndian = true;
  private frames = 0;
  /** Bytes consumed before `pending`. */
  private consumed = 0;
  private failed: CaptureError | undefined;

  /** Frames made complete by this chunk. Throws CaptureError once the stream is broken beyond repair. */
  push(chunk: Buffer): CaptureFrame[] {
    if (this.failed) throw this.failed;
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    try {
      return this.drain();
    } catch (e) {
      if (e instanceof CaptureError) this.failed = e;
      throw e;
    }
  }

  /** Bytes received but not part of a complete record: > 0 means the capture was cut short. */
  end(): { leftoverBytes: number; offset: number } {
    return { leftoverBytes: this.pending.length, offset: this.consumed };
  }

  /** Total bytes pushed so far. */
  get bytes(): number {
    return this.consumed + this.pending.length;
  }

  private drain(): CaptureFrame[] {
    if (this.format === undefined) {
      if (this.pending.length < 4) return [];
      this.format = detectCaptureFormat(this.pending);
      if (this.format === 'pcap') {
        if (this.pending.length < PCAP_FILE_HEADER_LENGTH) {
          this.format = undefined;
          return [];
        }
        this.header = Buffer.from(this.pending.subarray(0, PCAP_FILE_HEADER_LENGTH));
        const magic = this.header.readUInt32LE(0);
        this.littleEndian = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
        readPcapFrames(this.header).next(); // validates the header (version) now
        this.take(PCAP_FILE_HEADER_LENGTH);
      }
    }
    return this.format === 'pcap' ? this.drainPcap() : this.drainPcapng();
  }

  private take(n: number): Buffer {
    const out = this.pending.subarray(0, n);
    this.pending = this.pending.subarray(n);
    this.consumed += n;
    return out;
  }

  private drainPcap(): CaptureFrame[] {
    let end = 0;
    const buf = this.pending;
    while (end + PCAP_RECORD_HEADER_LENGTH <= buf.length) {
      const len = this.littleEndian ? buf.readUInt32LE(end + 8) : buf.readUInt32BE(end + 8);
      if (len > MAX_BLOCK_LENGTH) break; // let the reader name the corruption
      if (end + PCAP_RECORD_HEADER_LENGTH + len > buf.length) break;
      end += PCAP_RECORD_HEADER_LENGTH + len;
    }
    if (end === 0 && buf.length >= PCAP_RECORD_HEADER_LENGTH) {
      const len = this.littleEndian ? buf.readUInt32LE(8) : buf.readUInt32BE(8);
      if (len > MAX_BLOCK_LENGTH) end = buf.length; // corrupt: the reader throws on it
    }
    if (end === 0) return [];
    const base = this.consumed - PCAP_FILE_HEADER_LENGTH;
    const records = this.take(end);
    const out: CaptureFrame[] = [];
    for (const f of readPcapFrames(Buffer.concat([this.header, records]))) {
      // Fresh objects from the generator: renumbered in place (a copy per frame costs more).
      f.frame += this.frames;
      f.fileOffset += base;
      out.push(f);
    }
    this.frames += out.length;
    return out;
  }

  private drainPcapng(): CaptureFrame[] {
    const buf = this.pending;
    let end = 0;
    let headerEnd = 0; // a section or interface block inside this run changes the header
    while (end + 12 <= buf.length) {
      const typeLe = buf.readUInt32LE(end);
      if (typeLe === PCAPNG_SHB) {
        const bom = buf.readUInt32LE(end + 8);
        this.littleEndian = bom === 0x1a2b3c4d;
      }
      const total = this.littleEndian ? buf.readUInt32LE(end + 4) : buf.readUInt32BE(end + 4);
      if (total < 12 || total > MAX_BLOCK_LENGTH) {
        end = buf.length; // corrupt: hand it to the reader, which names it
        break;
      }
      if (end + total > buf.length) break;
      const type = this.littleEndian ? buf.readUInt32LE(end) : buf.readUInt32BE(end);
      if (typeLe === PCAPNG_SHB || type === PCAPNG_IDB) headerEnd = end + total;
      end += total;
    }
    if (end === 0) return [];
    const startOffset = this.consumed;
    const run = this.take(end);
    const input = Buffer.concat([this.header, run]);
    const prefix = this.header.length;
    const out: CaptureFrame[] = [];
    for (const f of readPcapngFrames(input)) {
      f.frame += this.frames;
      f.fileOffset += startOffset - prefix;
      out.push(f);
    }
    this.frames += out.length;
    if (headerEnd > 0) {
      // Keep the section header and interface blocks for the next runs (a new section resets them).
      const blocks: Buffer[] = [];
      let off = 0;
      let keep: Buffer[] = [this.header];
      while (off < run.length) {
        const typeLe = run.readUInt32LE(off);
        if (typeLe === PCAPNG_SHB) {
          const bom = run.readUInt32LE(off + 8);
          this.littleEndian = bom === 0x1a2b3c4d;
        }
        const total = this.littleEndian ? run.readUInt32LE(off + 4) : run.readUInt32BE(off + 4);
        const type = this.littleEndian ? run.readUInt32LE(off) : run.readUInt32BE(off);
        if (typeLe === PCAPNG_SHB) keep = [Buffer.from(run.subarray(off, off + total))];
        else if (type === PCAPNG_IDB) keep.push(Buffer.from(run.subarray(off, off + total)));
        off += total;
      }
      blocks.push(...keep);
      this.header = Buffer.concat(blocks);
    }
    return out;
  }
}
