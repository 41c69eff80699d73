import type { AuthAlgorithm } from '../wire/auth.ts';
import type { ReplayMode } from '../events.ts';
import type { SecurityAssociation } from './store.ts';

/**
 * Per-node security associations for proxy-mode authentication (RFC 5563 section 3.1): one SA
 * between the proxying node (the access points of a site) and a home agent, used with the
 * Foreign-Home authentication extension (34) for every client it registers there. The key is
 * kept out of JSON, util.inspect and logs like every other SA's.
 */
export interface PerNodeBinding {
  spi: number;
  /** 32 hex digits (128 bits). */
  keyHex: string;
  algorithm?: AuthAlgorithm;
  replay?: ReplayMode;
  replayWindowSeconds?: number;
}

export class PerNodeSecurityAssociationError extends Error {
  override readonly name = 'PerNodeSecurityAssociationError';
}

export function perNodeSecurityAssociation(b: PerNodeBinding, field = 'perNode'): SecurityAssociation {
  if (!Number.isInteger(b.spi) || b.spi < 256 || b.spi > 0xffffffff)
    throw new PerNodeSecurityAssociationError(`${field}.spi: must be an integer from 256 to 4294967295`);
  if (!/^[0-9a-fA-F]{32}$/.test(b.keyHex))
    throw new PerNodeSecurityAssociationError(`${field}.key: must be 32 hex digits (a 128-bit key)`);
  const key = Buffer.from(b.keyHex, 'hex');
  const sa = {
    spi: b.spi,
    algorithm: b.algorithm ?? 'prefix-suffix',
    replay: b.replay ?? 'timestamp',
    replayWindowSeconds: b.replayWindowSeconds ?? 7,
  } as SecurityAssociation;
  Object.defineProperty(sa, 'key', { value: key, enumerable: false, writable: false });
  return sa;
}
