/**
 * Salt-encrypted RADIUS attribute values (RFC 2868 section 3.5, the Tunnel-Password method;
 * FreeRADIUS dictionaries mark such attributes `encrypt=2`, e.g. 3GPP2-MN-HA-Shared-Key). Pure.
 *
 * The value is Salt (2 octets, most significant bit set) followed by the encrypted String. The
 * plaintext String is Data-Length (1 octet), the secret itself and zero padding up to a multiple
 * of 16 octets. With S the shared secret, R the Request Authenticator of the Access-Request and
 * A the salt: b(1) = MD5(S + R + A), c(1) = p(1) xor b(1); b(i) = MD5(S + c(i-1)), c(i) = p(i) xor b(i).
 */
import { createHash } from 'node:crypto';

export class SaltDecryptionError extends Error {
  override readonly name = 'SaltDecryptionError';
}

function xorBlocks(
  input: Uint8Array,
  secret: Buffer,
  requestAuthenticator: Uint8Array,
  salt: Uint8Array,
  decrypt: boolean,
): Buffer {
  const out = Buffer.alloc(input.length);
  let previous: Uint8Array = Buffer.concat([requestAuthenticator, salt]);
  for (let i = 0; i < input.length; i += 16) {
    const b = createHash('md5').update(secret).update(previous).digest();
    for (let j = 0; j < 16; j++) out[i + j] = input[i + j]! ^ b[j]!;
    // The chain continues from the ciphertext block: the input when decrypting, the output when encrypting.
    previous = decrypt ? input.subarray(i, i + 16) : out.subarray(i, i + 16);
  }
  return out;
}

/** The secret carried by a salt-encrypted value. Errors say what is wrong, never the bytes. */
export function decryptSalted(value: Uint8Array, secret: string, requestAuthenticator: Uint8Array): Buffer {
  if (requestAuthenticator.length !== 16)
    throw new SaltDecryptionError('request authenticator must be 16 octets');
  if (value.length < 2 + 16)
    throw new SaltDecryptionError(`value of ${value.length} octets is too short (salt and at least 16)`);
  const salt = value.subarray(0, 2);
  if ((salt[0]! & 0x80) === 0) throw new SaltDecryptionError('salt lacks its most significant bit');
  const body = value.subarray(2);
  if (body.length % 16 !== 0)
    throw new SaltDecryptionError(`encrypted string of ${body.length} octets is not a multiple of 16`);
  const plain = xorBlocks(body, Buffer.from(secret, 'utf8'), requestAuthenticator, salt, true);
  const length = plain[0]!;
  if (length === 0 || length > plain.length - 1) {
    plain.fill(0);
    throw new SaltDecryptionError('data length does not fit the value (wrong shared secret?)');
  }
  const key = Buffer.from(plain.subarray(1, 1 + length));
  plain.fill(0);
  return key;
}

/** The other direction, for tests and the lab: `salt` must have its top bit set. */
export function encryptSalted(
  plain: Uint8Array,
  secret: string,
  requestAuthenticator: Uint8Array,
  salt: Uint8Array,
): Buffer {
  if (plain.length === 0 || plain.length > 239) throw new SaltDecryptionError('secret must be 1-239 octets');
  const padded = Buffer.alloc(Math.ceil((plain.length + 1) / 16) * 16);
  padded[0] = plain.length;
  Buffer.from(plain).copy(padded, 1);
  return Buffer.concat([
    salt,
    xorBlocks(padded, Buffer.from(secret, 'utf8'), requestAuthenticator, salt, false),
  ]);
}
