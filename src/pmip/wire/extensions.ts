import { isUtf8 } from 'node:buffer';
import { WireError } from './errors.ts';

/** Extension type numbers the codec knows (RFC 5944 section 3.5, RFC 2794, RFC 3012, RFC 5563). */
export const ExtensionType = {
  mobileHomeAuth: 32,
  mobileForeignAuth: 33,
  foreignHomeAuth: 34,
  generalizedAuth: 36,
  pmipNonSkippable: 47,
  nai: 131,
  mnFaChallenge: 132,
  messageString: 145,
  pmipSkippable: 147,
} as const;

export type AuthExtensionType = 32 | 33 | 34;
export type LongExtensionType = 36 | 47;

/** Mobile-Home (32), Mobile-Foreign (33) or Foreign-Home (34) authentication: SPI + authenticator. */
export interface AuthExtension {
  kind: 'auth';
  type: AuthExtensionType;
  spi: number;
  authenticator: Buffer;
}

/** Mobile Node NAI (131, RFC 2794). */
export interface NaiExtension {
  kind: 'nai';
  type: 131;
  nai: string;
}

/** Long form: type, subtype, 16-bit length, data (36 generalized auth, 47 PMIPv4 non-skippable). */
export interface LongExtension {
  kind: 'long';
  type: LongExtensionType;
  subtype: number;
  data: Buffer;
}

/** Any other short-form extension, kept as raw bytes so a message re-encodes identically. */
export interface RawExtension {
  kind: 'raw';
  type: number;
  data: Buffer;
}

export type Extension = AuthExtension | NaiExtension | LongExtension | RawExtension;

export function isAuthType(type: number): type is AuthExtensionType {
  return type === 32 || type === 33 || type === 34;
}

function isLongType(type: number): type is LongExtensionType {
  return type === 36 || type === 47;
}

/** Short-form types 0-127 that we understand; any other type below 128 invalidates the message. */
function understoodNonSkippable(type: number): boolean {
  return isAuthType(type) || isLongType(type);
}

export interface DecodedExtensions {
  extensions: Extension[];
  /** Byte offset of each extension in the datagram, parallel to `extensions`. */
  offsets: number[];
}

/** Decodes the extension list of a registration message, from `start` to the end of `buf`. */
export function decodeExtensions(buf: Buffer, start: number): DecodedExtensions {
  const extensions: Extension[] = [];
  const offsets: number[] = [];
  let off = start;
  const end = buf.length;
  while (off < end) {
    const type = buf[off]!;
    if (isLongType(type)) {
      if (off + 4 > end)
        throw new WireError('truncated', `extension ${type} long-form header needs 4 bytes`, off);
      const subtype = buf[off + 1]!;
      const len = buf.readUInt16BE(off + 2);
      if (off + 4 + len > end) {
        throw new WireError(
          'bad-length',
          `extension ${type} declares ${len} data bytes, ${end - off - 4} remain`,
          off,
        );
      }
      extensions.push({
        kind: 'long',
        type,
        subtype,
        data: copyBytes(buf, off + 4, off + 4 + len),
      });
      offsets.push(off);
      off += 4 + len;
      continue;
    }
    if (off + 2 > end) throw new WireError('truncated', `extension ${type} has no length byte`, off);
    const len = buf[off + 1]!;
    if (off + 2 + len > end) {
      throw new WireError(
        'bad-length',
        `extension ${type} declares ${len} data bytes, ${end - off - 2} remain`,
        off,
      );
    }
    const dataStart = off + 2;
    const dataEnd = dataStart + len;
    if (isAuthType(type)) {
      if (len < 4)
        throw new WireError(
          'bad-length',
          `authentication extension ${type} is ${len} bytes, needs >= 4 for the SPI`,
          off,
        );
      extensions.push({
        kind: 'auth',
        type,
        spi: buf.readUInt32BE(dataStart),
        authenticator: copyBytes(buf, dataStart + 4, dataEnd),
      });
    } else if (type < 128 && !understoodNonSkippable(type)) {
      throw new WireError('unknown-extension', `non-skippable extension type ${type} is not understood`, off);
    } else if (type === ExtensionType.nai && isUtf8RoundTrip(buf, dataStart, dataEnd)) {
      extensions.push({ kind: 'nai', type, nai: buf.toString('utf8', dataStart, dataEnd) });
    } else {
      extensions.push({ kind: 'raw', type, data: copyBytes(buf, dataStart, dataEnd) });
    }
    offsets.push(off);
    off += 2 + len;
  }
  return { extensions, offsets };
}

function isUtf8RoundTrip(buf: Buffer, start: number, end: number): boolean {
  // An NAI that is not valid UTF-8 stays raw so that re-encoding gives the same bytes. Valid UTF-8
  // is exactly what survives decode + encode unchanged (Buffer's decoder keeps a BOM); isUtf8
  // checks it without the two allocations of a trial round trip, and plain ASCII (the usual NAI)
  // needs no check at all.
  for (let i = start; i < end; i++) if (buf[i]! >= 0x80) return isUtf8(buf.subarray(start, end));
  return true;
}

/**
 * A copy of `buf[start, end)` that does not share memory with the datagram. Small fields (the
 * usual 16-byte authenticator) are copied by hand, cheaper than `Buffer.from(buf.subarray(..))`.
 */
function copyBytes(buf: Buffer, start: number, end: number): Buffer {
  const out = Buffer.allocUnsafe(end - start);
  if (end - start <= 64) for (let i = start; i < end; i++) out[i - start] = buf[i]!;
  else buf.copy(out, 0, start, end);
  return out;
}

export function extensionLength(ext: Extension): number {
  switch (ext.kind) {
    case 'auth':
      return 2 + 4 + ext.authenticator.length;
    case 'nai':
      return 2 + Buffer.byteLength(ext.nai, 'utf8');
    case 'long':
      return 4 + ext.data.length;
    case 'raw':
      return 2 + ext.data.length;
  }
}

function checkByte(value: number, field: string, max = 255): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new WireError('bad-value', `${field}: ${value} is not an integer from 0 to ${max}`);
  }
}

/** Writes one extension at `off`; returns the offset after it. Validates sizes and ranges. */
export function writeExtension(buf: Buffer, off: number, ext: Extension, field: string): number {
  switch (ext.kind) {
    case 'auth': {
      const len = 4 + ext.authenticator.length;
      if (len > 255)
        throw new WireError(
          'bad-value',
          `${field}.authenticator: ${ext.authenticator.length} bytes, at most 251 fit`,
        );
      if (!isAuthType(ext.type))
        throw new WireError('bad-value', `${field}.type: ${ext.type} is not an authentication type (32-34)`);
      checkByte(ext.spi, `${field}.spi`, 0xffffffff);
      buf[off] = ext.type;
      buf[off + 1] = len;
      buf.writeUInt32BE(ext.spi, off + 2);
      ext.authenticator.copy(buf, off + 6);
      return off + 2 + len;
    }
    case 'nai': {
      const len = buf.write(ext.nai, off + 2, 'utf8');
      if (len > 255) throw new WireError('bad-value', `${field}.nai: ${len} bytes, at most 255`);
      buf[off] = ext.type;
      buf[off + 1] = len;
      return off + 2 + len;
    }
    case 'long': {
      if (!isLongType(ext.type))
        throw new WireError('bad-value', `${field}.type: ${ext.type} has no long form`);
      checkByte(ext.subtype, `${field}.subtype`);
      if (ext.data.length > 0xffff)
        throw new WireError('bad-value', `${field}.data: ${ext.data.length} bytes, at most 65535`);
      buf[off] = ext.type;
      buf[off + 1] = ext.subtype;
      buf.writeUInt16BE(ext.data.length, off + 2);
      ext.data.copy(buf, off + 4);
      return off + 4 + ext.data.length;
    }
    case 'raw': {
      checkByte(ext.type, `${field}.type`);
      if (ext.type < 128) {
        // Types 0-127 must be understood by the receiver; only the structured ones are.
        throw new WireError(
          'bad-value',
          `${field}.type: non-skippable type ${ext.type} cannot be sent as raw bytes`,
        );
      }
      if (ext.data.length > 255)
        throw new WireError('bad-value', `${field}.data: ${ext.data.length} bytes, at most 255`);
      buf[off] = ext.type;
      buf[off + 1] = ext.data.length;
      ext.data.copy(buf, off + 2);
      return off + 2 + ext.data.length;
    }
  }
}
