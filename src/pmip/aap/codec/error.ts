import { CodecError } from '../../wire/codec-error.ts';

/** What can be wrong with a subnet map datagram; `malformed-datagram` events carry the kind. */
export const AAP_CODEC_ERROR_KINDS = [
  'truncated', // fewer bytes than the header or a declared length needs
  'bad-magic', // not a subnet map datagram
  'bad-version', // a protocol version we do not speak
  'bad-length', // a length field that contradicts the datagram or the body layout
  'unknown-type', // a message type we do not know
  'bad-value', // a field out of range (prefix length, chunk index, id length, ...)
  'bad-hmac', // the HMAC does not verify with our group key: unauthenticated
] as const;
export type AapCodecErrorKind = (typeof AAP_CODEC_ERROR_KINDS)[number];

/** The one error the codec throws (the shared codec error shape). Never carries key material. */
export class AapCodecError extends CodecError<AapCodecErrorKind> {
  override readonly name = 'AapCodecError';
}

export function isAapCodecError(e: unknown): e is AapCodecError {
  return e instanceof AapCodecError;
}
