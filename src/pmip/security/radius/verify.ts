/**
 * The checks of a RADIUS answer against the request it answers. Pure.
 *
 * - Response Authenticator (RFC 2865 section 3): MD5(Code + Identifier + Length + Request
 *   Authenticator + Attributes + Secret).
 * - Message-Authenticator (RFC 3579 section 3.2), when the answer carries one (type 80):
 *   HMAC-MD5(Secret, the packet with the Request Authenticator in the authenticator field and the
 *   Message-Authenticator value zeroed).
 *
 * Ours rather than `radius.verify_response` (1.1.4): that one re-encodes the answer to check the
 * Message-Authenticator, and its encoder fills the field in again, so valid answers fail.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const MESSAGE_AUTHENTICATOR = 80;

export type AnswerCheck = { ok: true } | { ok: false; problem: string };

/** The offset of the Message-Authenticator value in `packet`, or -1; -2 when attributes do not parse. */
export function messageAuthenticatorOffset(packet: Uint8Array): number {
  const length = Math.min(packet.length, (packet[2]! << 8) | packet[3]!);
  let found = -1;
  for (let i = 20; i < length;) {
    if (i + 2 > length) return -2;
    const l = packet[i + 1]!;
    if (l < 2 || i + l > length) return -2;
    if (packet[i] === MESSAGE_AUTHENTICATOR) {
      if (l !== 18) return -2;
      found = i + 2;
    }
    i += l;
  }
  return found;
}

export function checkAnswer(
  request: Uint8Array,
  answer: Uint8Array,
  secret: string,
  requireMessageAuthenticator = false,
): AnswerCheck {
  if (answer.length < 20) return { ok: false, problem: 'answer shorter than 20 octets' };
  const length = (answer[2]! << 8) | answer[3]!;
  if (length < 20 || length > answer.length)
    return { ok: false, problem: 'answer length field does not fit' };
  const packet = Buffer.from(answer.subarray(0, length));
  const requestAuthenticator = request.subarray(4, 20);
  const expected = createHash('md5')
    .update(packet.subarray(0, 4))
    .update(requestAuthenticator)
    .update(packet.subarray(20))
    .update(secret, 'utf8')
    .digest();
  if (!timingSafeEqual(expected, packet.subarray(4, 20)))
    return { ok: false, problem: 'the Response Authenticator does not match (shared secret?)' };
  const at = messageAuthenticatorOffset(packet);
  if (at === -2) return { ok: false, problem: 'the attributes do not parse' };
  // RFC 3579 section 3.2 requires it in answers to EAP requests only (FreeRADIUS 3.2 sends none
  // to a PAP request that carried one): checked when present, required when `requireMessageAuthenticator`.
  if (at === -1) {
    return requireMessageAuthenticator
      ? { ok: false, problem: 'the answer lacks a Message-Authenticator' }
      : { ok: true };
  }
  const got = Buffer.from(packet.subarray(at, at + 16));
  const copy = Buffer.from(packet);
  Buffer.from(requestAuthenticator).copy(copy, 4);
  copy.fill(0, at, at + 16);
  const mac = createHmac('md5', secret).update(copy).digest();
  if (!timingSafeEqual(mac, got))
    return { ok: false, problem: 'the Message-Authenticator does not match (shared secret?)' };
  return { ok: true };
}
