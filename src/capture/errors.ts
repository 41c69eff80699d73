import { CodecError } from '../pmip/wire/codec-error.ts';

/**
 * The one error the capture readers throw. A broken capture file ends here, with a kind a caller
 * can branch on and the byte offset in the file where the problem was found.
 */
export const CAPTURE_ERROR_KINDS = [
  'truncated', // the file ends inside a header, block or record
  'bad-magic', // not a pcap or pcapng file (or a byte-order magic we do not know)
  'unsupported-version', // a pcap or pcapng version this reader does not speak
  'corrupt', // a length or reference that cannot be right (block lengths disagree, unknown interface, ...)
] as const;

export type CaptureErrorKind = (typeof CAPTURE_ERROR_KINDS)[number];

export class CaptureError extends CodecError<CaptureErrorKind> {
  override readonly name = 'CaptureError';
  /** Byte offset in the capture file where the problem was found (always known for a file). */
  declare readonly offset: number;
  constructor(kind: CaptureErrorKind, message: string, offset: number) {
    super(kind, message, offset);
  }
}

export function isCaptureError(e: unknown): e is CaptureError {
  return e instanceof CaptureError;
}
