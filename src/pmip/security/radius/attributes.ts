/**
 * The SA attributes of a RADIUS Access-Accept, in the two styles found in the field. Pure: raw
 * attributes in (type, value bytes, as the `radius` package's `raw_attributes` gives them), SA
 * parts or an AttributeError out. Errors name the attribute and the rule, never key material.
 *
 * - Cisco: Vendor-Specific (26), vendor 9, sub-type 1 (Cisco-AVPair), text
 *   `mobileip:spi#N=spi <spi> key hex <hex>|ascii <text> [algorithm hmac-md5|md5 [mode prefix-suffix]]
 *   [replay timestamp [within <s>]|nonce]`, the tail of the router's `ip mobile secure host` command;
 *   `#0`, `#1` ... index several SAs, the lowest index is used.
 * - 3GPP2: Vendor-Specific (26), vendor 5535: 3GPP2-MN-HA-SPI (57, integer),
 *   3GPP2-MN-HA-Shared-Key (58, salt-encrypted as RFC 2868 section 3.5) and
 *   3GPP2-Home-Agent-IP-Address (7, ipaddr) when sent.
 */
import type { AuthAlgorithm } from '../../wire/auth.ts';
import type { ReplayMode } from '../../events.ts';
import { decryptSalted, SaltDecryptionError } from './salt.ts';

export const VENDOR_SPECIFIC = 26;
export const VENDOR_CISCO = 9;
export const CISCO_AVPAIR = 1;
export const VENDOR_3GPP2 = 5535;
export const TGPP2_HOME_AGENT = 7;
export const TGPP2_MN_HA_SPI = 57;
export const TGPP2_MN_HA_SHARED_KEY = 58;

export const ATTRIBUTE_STYLES = ['auto', 'cisco', '3gpp2'] as const;
export type AttributeStyle = (typeof ATTRIBUTE_STYLES)[number];

export class AttributeError extends Error {
  override readonly name = 'AttributeError';
}

/** An SA as the server sent it; fields it did not send are left to the configured defaults. */
export interface RadiusSaParts {
  style: 'cisco' | '3gpp2';
  spi: number;
  /** Only the SA store keeps this; never printed. */
  key: Buffer;
  algorithm?: AuthAlgorithm;
  replay?: ReplayMode;
  replayWindowSeconds?: number;
  homeAgent?: string;
}

export interface VendorAttribute {
  vendor: number;
  type: number;
  value: Buffer;
}

/** The vendor sub-attributes of every Vendor-Specific attribute (RFC 2865 section 5.26 layout). */
export function vendorAttributes(raw: ReadonlyArray<readonly [number, Buffer]>): VendorAttribute[] {
  const out: VendorAttribute[] = [];
  for (const [type, value] of raw) {
    if (type !== VENDOR_SPECIFIC) continue;
    if (value.length < 4) throw new AttributeError('Vendor-Specific: shorter than its vendor id');
    const vendor = value.readUInt32BE(0);
    let rest = value.subarray(4);
    while (rest.length > 0) {
      if (rest.length < 2 || rest[1]! < 2 || rest[1]! > rest.length)
        throw new AttributeError(`Vendor-Specific (vendor ${vendor}): sub-attribute length does not fit`);
      out.push({ vendor, type: rest[0]!, value: Buffer.from(rest.subarray(2, rest[1]!)) });
      rest = rest.subarray(rest[1]!);
    }
  }
  return out;
}

const AVPAIR = /^mobileip:spi(?:#(\d+))?=(.*)$/;

/** One `mobileip:spi#N=...` av-pair; undefined for av-pairs about anything else. */
export function parseCiscoAvPair(text: string): { index: number; sa: RadiusSaParts } | undefined {
  const m = AVPAIR.exec(text.trim());
  if (!m) return undefined;
  const index = m[1] === undefined ? 0 : Number(m[1]);
  const where = `Cisco-AVPair mobileip:spi#${index}`;
  const words = m[2]!.trim().split(/\s+/);
  let spi: number | undefined;
  let key: Buffer | undefined;
  const sa: Partial<RadiusSaParts> = {};
  for (let i = 0; i < words.length;) {
    const w = words[i++]!.toLowerCase();
    const next = (what: string): string => {
      const v = words[i++];
      if (v === undefined) throw new AttributeError(`${where}: "${w}" needs ${what}`);
      return v;
    };
    switch (w) {
      case 'spi': {
        const v = next('a number');
        if (!/^\d+$/.test(v) || Number(v) < 256 || Number(v) > 0xffffffff)
          throw new AttributeError(`${where}: spi must be a number from 256 to 4294967295`);
        spi = Number(v);
        break;
      }
      case 'key': {
        const form = next('"hex" or "ascii"').toLowerCase();
        const v = next('the key');
        if (form === 'hex') {
          if (!/^([0-9a-fA-F]{2})+$/.test(v))
            throw new AttributeError(`${where}: key hex must be an even number of hex digits`);
          key = Buffer.from(v, 'hex');
        } else if (form === 'ascii') key = Buffer.from(v, 'utf8');
        else throw new AttributeError(`${where}: key must be "key hex ..." or "key ascii ..."`);
        break;
      }
      case 'algorithm': {
        const v = next('hmac-md5 or md5').toLowerCase();
        if (v === 'hmac-md5') sa.algorithm = 'hmac-md5';
        else if (v === 'md5') {
          sa.algorithm = 'prefix-suffix';
          if (words[i]?.toLowerCase() === 'mode') {
            i++;
            if (next('prefix-suffix').toLowerCase() !== 'prefix-suffix')
              throw new AttributeError(`${where}: algorithm md5 supports mode prefix-suffix only`);
          }
        } else throw new AttributeError(`${where}: algorithm must be hmac-md5 or md5`);
        break;
      }
      case 'replay': {
        const v = next('timestamp or nonce').toLowerCase();
        if (v === 'nonce') sa.replay = 'nonce';
        else if (v === 'timestamp') {
          sa.replay = 'timestamp';
          if (words[i]?.toLowerCase() === 'within') {
            i++;
            const s = next('seconds');
            if (!/^\d+$/.test(s) || Number(s) < 1 || Number(s) > 3600)
              throw new AttributeError(`${where}: replay timestamp within must be 1-3600 seconds`);
            sa.replayWindowSeconds = Number(s);
          }
        } else throw new AttributeError(`${where}: replay must be timestamp or nonce`);
        break;
      }
      default:
        throw new AttributeError(`${where}: unknown word "${w.slice(0, 20)}"`);
    }
  }
  if (spi === undefined) throw new AttributeError(`${where}: no spi`);
  if (key === undefined || key.length === 0) throw new AttributeError(`${where}: no key`);
  return { index, sa: { ...sa, style: 'cisco', spi, key } };
}

function ciscoSa(vsas: VendorAttribute[]): RadiusSaParts | undefined {
  let best: { index: number; sa: RadiusSaParts } | undefined;
  for (const a of vsas) {
    if (a.vendor !== VENDOR_CISCO || a.type !== CISCO_AVPAIR) continue;
    const parsed = parseCiscoAvPair(a.value.toString('utf8'));
    if (parsed && (!best || parsed.index < best.index)) best = parsed;
  }
  return best?.sa;
}

function tgpp2Sa(
  vsas: VendorAttribute[],
  secret: string,
  requestAuthenticator: Buffer,
): RadiusSaParts | undefined {
  const mine = vsas.filter((a) => a.vendor === VENDOR_3GPP2);
  const spiAttr = mine.find((a) => a.type === TGPP2_MN_HA_SPI);
  const keyAttr = mine.find((a) => a.type === TGPP2_MN_HA_SHARED_KEY);
  if (!spiAttr && !keyAttr) return undefined;
  if (!spiAttr) throw new AttributeError('3GPP2-MN-HA-Shared-Key came without 3GPP2-MN-HA-SPI');
  if (!keyAttr) throw new AttributeError('3GPP2-MN-HA-SPI came without 3GPP2-MN-HA-Shared-Key');
  if (spiAttr.value.length !== 4) throw new AttributeError('3GPP2-MN-HA-SPI: must be a 4-octet integer');
  const spi = spiAttr.value.readUInt32BE(0);
  if (spi < 256) throw new AttributeError(`3GPP2-MN-HA-SPI: ${spi} is reserved (0-255)`);
  let key: Buffer;
  try {
    key = decryptSalted(keyAttr.value, secret, requestAuthenticator);
  } catch (e) {
    if (e instanceof SaltDecryptionError) throw new AttributeError(`3GPP2-MN-HA-Shared-Key: ${e.message}`);
    throw e;
  }
  const sa: RadiusSaParts = { style: '3gpp2', spi, key };
  const ha = mine.find((a) => a.type === TGPP2_HOME_AGENT);
  if (ha) {
    if (ha.value.length !== 4) throw new AttributeError('3GPP2-Home-Agent-IP-Address: must be 4 octets');
    sa.homeAgent = [...ha.value].join('.');
  }
  return sa;
}

/**
 * The SA of an Access-Accept. `auto` takes the Cisco av-pair when there is one, else the 3GPP2
 * attributes; a named style takes only that style.
 */
export function securityAssociationFromAccept(
  raw: ReadonlyArray<readonly [number, Buffer]>,
  style: AttributeStyle,
  secret: string,
  requestAuthenticator: Buffer,
): RadiusSaParts {
  const vsas = vendorAttributes(raw);
  const cisco = style === '3gpp2' ? undefined : ciscoSa(vsas);
  if (cisco) return cisco;
  const tgpp2 = style === 'cisco' ? undefined : tgpp2Sa(vsas, secret, requestAuthenticator);
  if (tgpp2) return tgpp2;
  throw new AttributeError(
    style === 'cisco'
      ? 'Access-Accept has no Cisco-AVPair mobileip:spi'
      : style === '3gpp2'
        ? 'Access-Accept has no 3GPP2-MN-HA-SPI and 3GPP2-MN-HA-Shared-Key'
        : 'Access-Accept has no SA attributes (Cisco-AVPair mobileip:spi, or 3GPP2-MN-HA-SPI and 3GPP2-MN-HA-Shared-Key)',
  );
}
