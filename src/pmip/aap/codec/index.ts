/**
 * The subnet map protocol's codec (docs/aap-protocol.md): pure, bytes in, typed values or an
 * AapCodecError out. `envelope.ts`: header, HMAC, framing and chunk sizes; `bodies.ts`: one codec
 * per message body in one table; `messages.ts`: the message types; `columns.ts`: rows as columns
 * and chunking; `fields.ts`: the shared field writers and readers; `error.ts`: the error.
 */
export * from './error.ts';
export * from './messages.ts';
export * from './columns.ts';
export { MAX_CHUNKS, MAX_RECEIVER_ID_BYTES, MAX_SENDER_ID_BYTES } from './fields.ts';
export { AAP_BODY_CODECS, aapBodyLength, decodeAapBody, encodeAapBody, type BodyCodec } from './bodies.ts';
export * from './envelope.ts';
