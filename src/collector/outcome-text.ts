/**
 * One sentence per registration outcome, for the pages, the JSON API (`lastOutcome.text`) and the
 * logs: what happened and, where the cause is clear, what to check. Pure.
 */
import type { RegistrationOutcomeKind } from '../pmip/events.ts';
import { replyCode } from '../pmip/reply-codes.ts';

export interface OutcomeFacts {
  kind: RegistrationOutcomeKind;
  code?: number | undefined;
  reason?: string | undefined;
  homeAgent?: string | undefined;
  foreignAgent?: string | undefined;
  transmissions: number;
  securityAssociation?: { cause: string; server: string } | undefined;
}

/** no-security-association after a RADIUS server was asked: what it said. */
const SHORTFALL_WORDS: Record<string, (server: string) => string> = {
  rejected: (s) => `RADIUS server ${s} rejected the client (Access-Reject): check its entry on the server`,
  timeout: (s) => `no RADIUS server answered (last tried ${s}): check the servers and the network`,
  malformed: (s) => `RADIUS server ${s} sent an Access-Accept without a usable SA: check its attributes`,
  'bad-authenticator': (s) =>
    `the answer of RADIUS server ${s} failed the authenticator check: check the shared secret`,
};

const DISCARD_WORDS: Record<string, string> = {
  'no-security-association': 'no security association for the client: add a local SA binding or check RADIUS',
  'no-home-agent': 'no subnet map row matches the client address: check the subnet map',
  'internal-error': 'the attempt failed inside the access point (see the log)',
  'data-plane-error': 'accepted, but the data plane failed to act on it: check its adapter',
  'invalid-identification': 'replies carried an identification the access point did not send',
  'unknown-home-agent': 'replies named another home agent',
  'invalid-home-address': 'replies named another home address',
  'invalid-extension': 'replies carried an extension the access point cannot read',
  'no-pending-request': 'replies arrived with no request pending',
};

function codeText(code: number | undefined): string {
  if (code === undefined) return '';
  return `${code} ${replyCode(code).reason}`;
}

function tries(n: number): string {
  return `${n} ${n === 1 ? 'try' : 'tries'}`;
}

export function describeOutcome(o: OutcomeFacts): string {
  const ha = o.homeAgent ?? 'the home agent';
  switch (o.kind) {
    case 'accepted':
      return `accepted by ${ha}${o.transmissions > 1 ? ` after ${tries(o.transmissions)}` : ''}`;
    case 'denied': {
      const info = o.code === undefined ? undefined : replyCode(o.code);
      const by =
        info?.issuer === 'foreign-agent'
          ? `foreign agent ${o.foreignAgent ?? ''}`.trimEnd()
          : info?.issuer === 'home-agent'
            ? `home agent ${ha}`
            : ha;
      return `denied by ${by}: ${codeText(o.code)}`;
    }
    case 'timeout':
      return `no reply from ${ha} after ${tries(o.transmissions)}${o.foreignAgent !== undefined ? ` (via foreign agent ${o.foreignAgent})` : ''}`;
    case 'unauthenticated':
      return `reply failed authentication (claims ${codeText(o.code) || 'no code'}): check the SPI and key`;
    case 'discarded':
      if (o.reason === 'no-security-association' && o.securityAssociation) {
        const words = SHORTFALL_WORDS[o.securityAssociation.cause];
        if (words) return `discarded: no security association: ${words(o.securityAssociation.server)}`;
      }
      return `discarded: ${DISCARD_WORDS[o.reason ?? ''] ?? o.reason ?? 'unknown reason'}`;
  }
}
