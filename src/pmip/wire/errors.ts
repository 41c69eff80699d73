/**
 * The one error the wire codecs throw. Every malformed input ends here, with a kind that a
 * counter can use as a bounded label and a message that says what was wrong and where.
 */
export type WireErrorKind =
  | 'truncated' // fewer bytes than the fixed part or a declared length needs
  | 'bad-length' // a length field that contradicts the datagram
  | 'unknown-type' // a message type this codec does not speak
  | 'unknown-extension' // a non-skippable extension (type 0-127) we do not understand
  | 'bad-checksum' // ICMP checksum mismatch
  | 'bad-value'; // a field that cannot be encoded or makes no sense (used by encoders too)

export const WIRE_ERROR_KINDS: readonly WireErrorKind[] = [
  'truncated',
  'bad-length',
  'unknown-type',
  'unknown-extension',
  'bad-checksum',
  'bad-value',
];

export class WireError extends Error {
  override readonly name = 'WireError';
  constructor(
    readonly kind: WireErrorKind,
    message: string,
    /** Byte offset in the input where the problem was found, when there is one. */
    readonly offset?: number,
  ) {
    super(offset === undefined ? `${kind}: ${message}` : `${kind} at byte ${offset}: ${message}`);
  }
}

export function isWireError(e: unknown): e is WireError {
  return e instanceof WireError;
}
