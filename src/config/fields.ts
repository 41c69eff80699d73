/** The field types the configuration sections share: addresses, ports, endpoints, keys, ids. */
import { z } from 'zod';
import { ipv4ToUint32, isIpv4, prefixLengthOf } from '../pmip/wire/ipv4.ts';
import { parseKeyNotation } from '../pmip/security/key.ts';

export const ipv4 = z.string().refine(isIpv4, { message: 'must be a dotted-quad IPv4 address' });
export const port = z.number().int().min(0).max(65535);
export const cidr = z.string().refine(
  (s) => {
    const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})$/.exec(s);
    return m !== null && isIpv4(m[1]!) && Number(m[2]) <= 32;
  },
  { message: 'must be CIDR notation a.b.c.d/N with N from 0 to 32' },
);
export function isAddressOrPrefix(s: string): boolean {
  const m = /^(\d+\.\d+\.\d+\.\d+)(?:\/(\d{1,2}))?$/.exec(s);
  return m !== null && isIpv4(m[1]!) && (m[2] === undefined || Number(m[2]) <= 32);
}
export const mask = z.string().refine((s) => isIpv4(s) && prefixLengthOf(ipv4ToUint32(s)) >= 0, {
  message: 'must be a contiguous netmask such as 255.255.255.0',
});
export const endpoint = z
  .string()
  // abort: a string that is not even shaped like one gets the message once, not twice.
  .regex(/^\d+\.\d+\.\d+\.\d+(:\d{1,5})?$/, {
    message: 'must be an IPv4 address with an optional :port',
    abort: true,
  })
  .refine((s) => isIpv4(s.split(':')[0]!) && Number(s.split(':')[1] ?? 0) <= 65535, {
    message: 'must be an IPv4 address with an optional :port',
  });
export const hostPort = z
  .string()
  .regex(/^[^:\s]+:\d{1,5}$/, { message: 'must be HOST:PORT', abort: true })
  .refine((s) => Number(s.split(':').pop()) <= 65535, { message: 'port must be 0-65535' });
/** An SA key: 32 hex digits (128 bits), `hex:` any even number of hex digits, or `text:` a secret. */
export const saKey = z.string().superRefine((text, ctx) => {
  const parsed = parseKeyNotation(text);
  if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.rule });
});
/** Ids and names of access points and agents: the `node` of events and label values in /metrics. */
export const nodeId = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,64}$/, {
    message: 'must be 1-64 letters, digits, dot, dash or underscore',
    abort: true,
  })
  .refine((s) => s !== 'other', { message: 'must not be "other" (reserved for unconfigured nodes)' });
/** `a.b.c.d:port`: where datagrams are sent, so the port is not optional. */
export const endpointWithPort = z
  .string()
  .regex(/^\d+\.\d+\.\d+\.\d+:\d{1,5}$/, { message: 'must be an IPv4 address and :port', abort: true })
  .refine((s) => isIpv4(s.split(':')[0]!) && Number(s.split(':')[1]) <= 65535, {
    message: 'must be an IPv4 address and :port',
  });
export const lifetimeSeconds = z.number().int().min(1).max(65535);

/** The log levels a site file and the command line accept. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
