/**
 * How a security association key is written in the configuration. Three forms, none ambiguous:
 *
 * - 32 hex digits: a 128-bit binary key (the original form; it keeps its meaning);
 * - `hex:` and an even number of hex digits: a binary key of any length;
 * - `text:` and any text: the UTF-8 bytes of the text (home agents in the field take ASCII secrets).
 *
 * RFC 5944 section 5.1 makes HMAC-MD5 (RFC 2104) the default algorithm; HMAC takes a key of any
 * length (RFC 2104 section 3: keys longer than the 64-byte block are hashed first), and keyed MD5
 * prefix+suffix (RFC 5944 section 3.5.1, RFC 2002) simply wraps the key bytes around the data.
 * An empty key gives no protection (RFC 2085 section 1.2 forbids a zero-length HMAC-MD5 key), so
 * every form needs at least one byte. Errors name the rule, never the key.
 */
export const MAX_KEY_BYTES = 255;

export type KeyParse = { ok: true; key: Buffer } | { ok: false; rule: string };

export const KEY_NOTATION_RULE = 'must be 32 hex digits, "hex:" and hex digits, or "text:" and the secret';

export function parseKeyNotation(text: string): KeyParse {
  if (/^[0-9a-fA-F]{32}$/.test(text)) return { ok: true, key: Buffer.from(text, 'hex') };
  if (text.startsWith('hex:')) {
    const hex = text.slice(4);
    if (!/^([0-9a-fA-F]{2})+$/.test(hex))
      return { ok: false, rule: 'after "hex:" must come an even number of hex digits (at least 2)' };
    return checkLength(Buffer.from(hex, 'hex'));
  }
  if (text.startsWith('text:')) {
    if (text.length === 5) return { ok: false, rule: 'after "text:" must come at least one character' };
    return checkLength(Buffer.from(text.slice(5), 'utf8'));
  }
  return { ok: false, rule: KEY_NOTATION_RULE };
}

function checkLength(key: Buffer): KeyParse {
  if (key.length > MAX_KEY_BYTES) return { ok: false, rule: `must be at most ${MAX_KEY_BYTES} bytes` };
  return { ok: true, key };
}
