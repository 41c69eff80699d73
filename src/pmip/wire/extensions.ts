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

/**
 * Long form: type, subtype, 16-bit length, data (36 generalized auth, 47 PMIPv4 non-skippable).
 *
 * RFC 5944 section 1.11 gives non-skippable extensions (types 0-127) the long extension format
 * and skippable ones the short format; RFC 5563 section 3 puts its per-node authentication method
 * (sub-type 1 of the PMIPv4 non-skippable extension, type 47) in type 47, so we encode 47 in the
 * long form, as Wireshark dissects it: `47, 1, 0x0001, method` (docs/wire-codec.md, "Extension 47").
 * Some implementations write it in the short form `47, length, sub-type, method`; the decoder
 * accepts that too when the bytes leave no doubt, and says so with `form: 'short'` (re-encoded
 * the same way, so the bytes and their authenticators survive a round trip).
 */
export interface LongExtension {
  kind: 'long';
  type: LongExtensionType;
  subtype: number;
  data: Buffer;
  /** Decoded from the short form `type, length, sub-type, data` (type 47 only): a lenient decode. */
  form?: 'short';
}

/** PMIPv4 non-skippable extension (47) sub-types and per-node authentication methods (RFC 5563 section 3.1). */
export const PmipNonSkippableSubtype = { perNodeAuthenticationMethod: 1 } as const;
export const PerNodeAuthenticationMethod = { faHa: 1, ipsec: 2 } as const;

/** The per-node authentication method extension (RFC 5563 section 3.1) in the form we send. */
export function perNodeAuthenticationMethod(
  method: number = PerNodeAuthenticationMethod.faHa,
): LongExtension {
  return {
    kind: 'long',
    type: 47,
    subtype: PmipNonSkippableSubtype.perNodeAuthenticationMethod,
    data: Buffer.from([method]),
  };
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

/**
 * Which form a type-47 extension at `off` is in. The long form is ours (see LongExtension); the
 * short form `47, length, sub-type, data` is taken only when the long reading cannot be right
 * (it overruns the datagram, or what follows it does not decode) and the short reading fits and
 * leaves a remainder that decodes. Otherwise the long form stands and its errors are reported.
 */
function type47Form(buf: Buffer, off: number, tails: DecodableTails): 'long' | 'short' {
  const afterLong = longEnd(buf, off);
  if (afterLong !== undefined && tails.decodesFrom(afterLong)) return 'long';
  const afterShort = shortEnd(buf, off);
  return afterShort !== undefined && tails.decodesFrom(afterShort) ? 'short' : 'long';
}

function longEnd(buf: Buffer, off: number): number | undefined {
  if (off + 4 > buf.length) return undefined;
  const next = off + 4 + buf.readUInt16BE(off + 2);
  return next <= buf.length ? next : undefined;
}

/** A sub-type and at least one data byte (the method): a bare `47, 1, x` is no evidence. */
function shortEnd(buf: Buffer, off: number): number | undefined {
  if (off + 2 > buf.length || buf[off + 1]! < 2) return undefined;
  const next = off + 2 + buf[off + 1]!;
  return next <= buf.length ? next : undefined;
}

/**
 * For every offset from `start` to the end of the datagram: whether the extensions from there to
 * the end decode (a type 47 in either form). Computed once, backwards, when a datagram has a type
 * 47 to decide: linear in its length however many type-47 extensions it holds.
 */
class DecodableTails {
  private readonly ok: Uint8Array;
  constructor(
    private readonly buf: Buffer,
    private readonly start: number,
  ) {
    const end = buf.length;
    this.ok = new Uint8Array(end - start + 1);
    this.ok[end - start] = 1;
    for (let off = end - 1; off >= start; off--) {
      const type = buf[off]!;
      let good: boolean;
      if (type === 47) {
        const l = longEnd(buf, off);
        const s = shortEnd(buf, off);
        good = (l !== undefined && this.at(l)) || (s !== undefined && this.at(s));
      } else {
        const next = strictNext(buf, off);
        good = next !== undefined && this.at(next);
      }
      this.ok[off - start] = good ? 1 : 0;
    }
  }

  private at(off: number): boolean {
    return this.ok[off - this.start] === 1;
  }

  decodesFrom(off: number): boolean {
    return off >= this.start && off <= this.buf.length && this.at(off);
  }
}

/** The offset after the (non-47) extension at `off`, or undefined when it is not valid there. */
function strictNext(buf: Buffer, off: number): number | undefined {
  const end = buf.length;
  const type = buf[off]!;
  if (isLongType(type)) return longEnd(buf, off);
  if (off + 2 > end) return undefined;
  const len = buf[off + 1]!;
  if (off + 2 + len > end) return undefined;
  if (isAuthType(type) && len < 4) return undefined;
  if (type < 128 && !understoodNonSkippable(type)) return undefined;
  return off + 2 + len;
}

/** Decodes the extension list of a registration message, from `start` to the end of `buf`. */
export function decodeExtensions(buf: Buffer, start: number): DecodedExtensions {
  const extensions: Extension[] = [];
  const offsets: number[] = [];
  let off = start;
  const end = buf.length;
  let tails: DecodableTails | undefined;
  while (off < end) {
    const type = buf[off]!;
    if (
      type === ExtensionType.pmipNonSkippable &&
      type47Form(buf, off, (tails ??= new DecodableTails(buf, start))) === 'short'
    ) {
      const len = buf[off + 1]!;
      extensions.push({
        kind: 'long',
        type,
        subtype: buf[off + 2]!,
        data: copyBytes(buf, off + 3, off + 2 + len),
        form: 'short',
      });
      offsets.push(off);
      off += 2 + len;
      continue;
    }
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

/** How many extensions of a decoded list were read leniently (type 47 in the short form). */
export function lenientDecodes(extensions: readonly Extension[]): number {
  let n = 0;
  for (const e of extensions) if (e.kind === 'long' && e.form === 'short') n++;
  return n;
}

export function extensionLength(ext: Extension): number {
  switch (ext.kind) {
    case 'auth':
      return 2 + 4 + ext.authenticator.length;
    case 'nai':
      return 2 + Buffer.byteLength(ext.nai, 'utf8');
    case 'long':
      return (ext.form === 'short' ? 3 : 4) + ext.data.length;
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
      if (ext.form === 'short') {
        if (ext.type !== 47 || ext.data.length > 254)
          throw new WireError(
            'bad-value',
            `${field}: the short form is for type 47 with at most 254 data bytes`,
          );
        buf[off] = ext.type;
        buf[off + 1] = 1 + ext.data.length;
        buf[off + 2] = ext.subtype;
        ext.data.copy(buf, off + 3);
        return off + 3 + ext.data.length;
      }
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
