/**
 * The one error the capture readers throw. A broken capture file ends here, with a kind a caller
 * can branch on and the byte offset in the file where the problem was found.
 */
export type CaptureErrorKind =
  | 'truncated' // the file ends inside a header, block or record
  | 'bad-magic' // not a pcap or pcapng file (or a byte-order magic we do not know)
  | 'unsupported-version' // a pcap or pcapng version this reader does not speak
  | 'corrupt'; // a length or reference that cannot be right (block lengths disagree, unknown interface, ...)

export const CAPTURE_ERROR_KINDS: readonly CaptureErrorKind[] = [
  'truncated',
  'bad-magic',
  'unsupported-version',
  'corrupt',
];

export class CaptureError extends Error {
  override readonly name = 'CaptureError';
  constructor(
    readonly kind: CaptureErrorKind,
    message: string,
    /** Byte offset in the capture file where the problem was found. */
    readonly offset: number,
  ) {
    super(`${kind} at byte ${offset}: ${message}`);
  }
}

export function isCaptureError(e: unknown): e is CaptureError {
  return e instanceof CaptureError;
}
