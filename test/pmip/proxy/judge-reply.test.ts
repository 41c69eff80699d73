import { describe, expect, it } from 'vitest';
import {
  judgeReply,
  REPLY_VERDICTS,
  type AttemptUnderReply,
  type ReplyUnderJudgement,
} from '../../../src/pmip/proxy/judge-reply.ts';
import {
  NTP_UNIX_OFFSET_SECONDS,
  ReplyCode,
  makeIdentification,
  type AuthCheck,
} from '../../../src/pmip/wire/index.ts';
import type { Peer } from '../../../src/pmip/runtime/udp.ts';

/**
 * judgeReply without sockets: one row per way a reply can go (RFC 5944 section 3.6.2), each with
 * the verdict, and for an answered reply what the access point will do next.
 */

const HA = '10.1.0.1';
const FA: Peer = { address: '10.2.0.2', port: 434 };
const SENT_AT = 1_000_000_000_000; // Unix ms: 1e9 s
const NOW = SENT_AT + 200;
/** Our identification: NTP seconds of SENT_AT in the high half, a random low half. */
const OURS = makeIdentification(1_000_000_000 + NTP_UNIX_OFFSET_SECONDS, 0x1234_5678);
const OLDER = makeIdentification(999_999_990 + NTP_UNIX_OFFSET_SECONDS, 0x0bad_cafe);

function attempt(over: Partial<AttemptUnderReply> = {}): AttemptUnderReply {
  return {
    kind: 'initial',
    homeAgent: HA,
    foreignAgent: FA.address,
    destination: FA,
    transmissions: [
      { id: OLDER, sentAt: SENT_AT - 1000 },
      { id: OURS, sentAt: SENT_AT },
    ],
    corrected: new Set(),
    ...over,
  };
}

interface Row {
  name: string;
  code: number;
  identification?: bigint;
  homeAgent?: string;
  lifetime?: number;
  from?: Peer;
  attempt?: Partial<AttemptUnderReply>;
  replay?: 'timestamp' | 'nonce';
  auth?: AuthCheck;
  want: Record<string, unknown>;
}

function judge(row: Row): { judgement: ReturnType<typeof judgeReply>; authenticated: number } {
  let authenticated = 0;
  const input: ReplyUnderJudgement = {
    reply: {
      code: row.code,
      identification: row.identification ?? OURS,
      homeAgent: row.homeAgent ?? HA,
      lifetime: row.lifetime ?? 600,
    },
    from: row.from ?? FA,
    attempt: attempt(row.attempt),
    replay: row.replay ?? 'timestamp',
    authenticate: () => {
      authenticated++;
      return row.auth ?? 'ok';
    },
    now: NOW,
  };
  return { judgement: judgeReply(input), authenticated };
}

const rows: Row[] = [
  {
    name: 'accepted, the whole identification echoed',
    code: ReplyCode.accepted,
    want: { verdict: 'accepted', roundTripSeconds: 0.2, transmission: { id: OURS, sentAt: SENT_AT } },
  },
  {
    name: 'accepted answering the older transmission: its round trip',
    code: ReplyCode.accepted,
    identification: OLDER,
    want: { verdict: 'accepted', roundTripSeconds: 1.2 },
  },
  {
    name: 'code 1 is an acceptance too',
    code: ReplyCode.acceptedNoSimultaneousBindings,
    want: { verdict: 'accepted', info: { issuer: 'home-agent', accepted: true } },
  },
  {
    name: 'a low half we never sent: invalid-identification',
    code: ReplyCode.accepted,
    identification: makeIdentification(1_000_000_000 + NTP_UNIX_OFFSET_SECONDS, 0x9999),
    want: { verdict: 'discarded', reason: 'invalid-identification' },
  },
  {
    name: 'timestamp mode: an acceptance with another high half is no echo',
    code: ReplyCode.accepted,
    identification: makeIdentification(42, 0x1234_5678),
    want: { verdict: 'discarded', reason: 'invalid-identification' },
  },
  {
    name: 'nonce mode: the high half is the next nonce',
    code: ReplyCode.accepted,
    identification: makeIdentification(42, 0x1234_5678),
    replay: 'nonce',
    want: { verdict: 'accepted', nonce: 42 },
  },
  {
    name: 'no authentication extension: unauthenticated, the claimed code kept',
    code: ReplyCode.accepted,
    auth: 'missing',
    want: { verdict: 'unauthenticated', reason: 'missing-security-extension', code: 0 },
  },
  {
    name: 'another SPI: bad-spi',
    code: ReplyCode.haMnFailedAuthentication,
    auth: 'spi-mismatch',
    want: { verdict: 'unauthenticated', reason: 'bad-spi', code: 131 },
  },
  {
    name: 'a wrong authenticator: bad-authenticator',
    code: ReplyCode.accepted,
    auth: 'bad-authenticator',
    want: { verdict: 'unauthenticated', reason: 'bad-authenticator', code: 0 },
  },
  {
    name: 'another home agent named: unknown-home-agent',
    code: ReplyCode.accepted,
    homeAgent: '10.9.9.9',
    want: { verdict: 'discarded', reason: 'unknown-home-agent' },
  },
  {
    name: 'a home agent denial ends the attempt',
    code: ReplyCode.haAdministrativelyProhibited,
    want: { verdict: 'denied', info: { issuer: 'home-agent', reason: 'ha_administratively_prohibited' } },
  },
  {
    name: 'a foreign agent denial from its registration endpoint, not authenticated',
    code: ReplyCode.faAdministrativelyProhibited,
    want: { verdict: 'denied', info: { issuer: 'foreign-agent' } },
  },
  {
    name: 'a foreign agent code from another port: refused-source',
    code: ReplyCode.faAdministrativelyProhibited,
    from: { address: FA.address, port: 40_000 },
    want: { verdict: 'refused-source' },
  },
  {
    name: 'a foreign agent code to a request sent to the home agent: refused-source',
    code: ReplyCode.faLifetimeTooLong,
    from: { address: HA, port: 434 },
    attempt: { foreignAgent: undefined, destination: { address: HA, port: 434 } },
    want: { verdict: 'refused-source' },
  },
  {
    name: '69: ask the foreign agent for its maximum next time',
    code: ReplyCode.faLifetimeTooLong,
    lifetime: 120,
    want: { verdict: 'denied', correction: { kind: 'lifetime', seconds: 120 } },
  },
  {
    name: '69 to a deregistration: nothing to shorten',
    code: ReplyCode.faLifetimeTooLong,
    lifetime: 120,
    attempt: { kind: 'deregistration' },
    want: { verdict: 'denied', correction: undefined },
  },
  {
    name: '133, timestamp mode: the home agent is one hour ahead (middle of its second, middle of the round trip)',
    code: ReplyCode.haIdentificationMismatch,
    identification: makeIdentification(1_000_003_600 + NTP_UNIX_OFFSET_SECONDS, 0x1234_5678),
    want: {
      verdict: 'denied',
      correction: { kind: 'time-sync', mode: 'timestamp', offsetSeconds: expect.closeTo(3600.4, 6) },
    },
  },
  {
    name: '133, nonce mode: the nonce in the reply, no offset',
    code: ReplyCode.haIdentificationMismatch,
    identification: makeIdentification(77, 0x1234_5678),
    replay: 'nonce',
    want: {
      verdict: 'denied',
      nonce: 77,
      correction: { kind: 'time-sync', mode: 'nonce', offsetSeconds: 0 },
    },
  },
  {
    name: '133 corrected once already: the attempt ends',
    code: ReplyCode.haIdentificationMismatch,
    identification: makeIdentification(1_000_003_600 + NTP_UNIX_OFFSET_SECONDS, 0x1234_5678),
    attempt: { corrected: new Set([133]) },
    want: { verdict: 'denied', correction: undefined },
  },
  {
    name: '136 naming another home agent: register with that one',
    code: ReplyCode.haUnknownHomeAgentAddress,
    homeAgent: '10.1.0.99',
    want: { verdict: 'denied', correction: { kind: 'home-agent', address: '10.1.0.99' } },
  },
  {
    name: '136 naming the same home agent: the attempt ends',
    code: ReplyCode.haUnknownHomeAgentAddress,
    want: { verdict: 'denied', correction: undefined },
  },
];

describe('judgeReply', () => {
  it.each(rows)('$name', (row) => {
    const { judgement } = judge(row);
    const present = Object.fromEntries(Object.entries(row.want).filter(([, v]) => v !== undefined));
    expect(judgement).toMatchObject(present);
    for (const [k, v] of Object.entries(row.want))
      if (v === undefined) expect(judgement).not.toHaveProperty(k);
  });

  it('checks the authenticator of home agent replies only, and only once the transmission matched', () => {
    expect(judge({ name: '', code: 0, want: {} }).authenticated).toBe(1);
    expect(judge({ name: '', code: ReplyCode.faAdministrativelyProhibited, want: {} }).authenticated).toBe(0);
    const unknownLow = makeIdentification(1, 0x9999);
    expect(judge({ name: '', code: 0, identification: unknownLow, want: {} }).authenticated).toBe(0);
  });

  it('covers every verdict', () => {
    const seen = new Set(rows.map((r) => judge(r).judgement.verdict));
    expect([...seen].sort()).toEqual([...REPLY_VERDICTS].sort());
  });

  it('nonce mode takes the nonce from a denial as well', () => {
    const { judgement } = judge({
      name: '',
      code: ReplyCode.haAdministrativelyProhibited,
      identification: makeIdentification(5, 0x1234_5678),
      replay: 'nonce',
      want: {},
    });
    expect(judgement).toMatchObject({ verdict: 'denied', nonce: 5 });
  });
});
