/**
 * The one shape of a codec's error: a `kind` from the codec's own bounded list (usable as a metric
 * label), a message saying what was wrong, and the byte offset where it was found when there is
 * one. The message reads `<kind>: <text>` or `<kind> at byte <offset>: <text>`. `WireError` (the
 * Mobile IP codecs), `AapCodecError` (the access point protocol) and `CaptureError` (pcap and
 * pcapng files) extend it.
 */
export class CodecError<Kind extends string> extends Error {
  override readonly name: string = 'CodecError';
  constructor(
    readonly kind: Kind,
    message: string,
    /** Byte offset in the input where the problem was found, when there is one. */
    readonly offset?: number,
  ) {
    super(offset === undefined ? `${kind}: ${message}` : `${kind} at byte ${offset}: ${message}`);
  }
}

export function isCodecError(e: unknown): e is CodecError<string> {
  return e instanceof CodecError;
}
