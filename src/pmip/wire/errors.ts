import { CodecError } from './codec-error.ts';

/**
 * The one error the wire codecs throw. Every malformed input ends here, with a kind that a
 * counter can use as a bounded label and a message that says what was wrong and where.
 */
export const WIRE_ERROR_KINDS = [
  'truncated', // fewer bytes than the fixed part or a declared length needs
  'bad-length', // a length field that contradicts the datagram
  'unknown-type', // a message type this codec does not speak
  'unknown-extension', // a non-skippable extension (type 0-127) we do not understand
  'bad-checksum', // ICMP checksum mismatch
  'bad-value', // a field that cannot be encoded or makes no sense (used by encoders too)
] as const;

export type WireErrorKind = (typeof WIRE_ERROR_KINDS)[number];

export class WireError extends CodecError<WireErrorKind> {
  override readonly name = 'WireError';
}

/** A `WireError` of kind bad-value: the `fail` the codecs pass to the shared range checks. */
export function badValue(message: string): WireError {
  return new WireError('bad-value', message);
}

export function isWireError(e: unknown): e is WireError {
  return e instanceof WireError;
}
