import { describe, expect, it } from 'vitest';
import {
  decideRequest,
  needsMobileHomeSa,
  type HomeAgentPolicy,
  type RequestDecision,
  type RequestInput,
  type SaLookup,
} from '../../../src/pmip/agents/decide-request.ts';
import type { SecurityAssociation } from '../../../src/pmip/security/store.ts';
import {
  decodeRegistrationLayout,
  encodeRegistration,
  identificationLow,
  makeIdentification,
  perNodeAuthenticationMethod,
  PerNodeAuthenticationMethod,
  type Authentication,
  type DecodedRegistration,
  type RegistrationRequest,
} from '../../../src/pmip/wire/index.ts';
import { ntpSeconds, request, timestampId, type RequestFields } from './helpers.ts';

/**
 * The home agent's decision on a Registration Request, without sockets: each row is a request
 * (encoded and decoded as the wire carries it), the SA found, the replay state and the bindings,
 * and the decision expected (code, violation, signing SA, reply identification, binding change).
 */
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const HA = '192.0.2.1';
const MN = '192.0.2.50';
const COA = '198.51.100.7';
const KEY = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
const WRONG_KEY = Buffer.from('ffeeddccbbaa99887766554433221100', 'hex');
const SA: SecurityAssociation = {
  spi: 300,
  key: KEY,
  algorithm: 'prefix-suffix',
  replay: 'timestamp',
  replayWindowSeconds: 7,
};
const NONCE_SA: SecurityAssociation = { ...SA, spi: 301, replay: 'nonce' };
const PER_NODE: SecurityAssociation = { ...SA, spi: 900, algorithm: 'hmac-md5' };

const POLICY: HomeAgentPolicy = {
  address: HA,
  maxLifetime: 300,
  gre: false,
  minimal: false,
  reverseTunnel: false,
  simultaneousBindings: false,
  maxSimultaneousBindings: 2,
  perNodeSecurityAssociations: [PER_NODE],
};

const LOW = 0x1234;
const FIELDS: RequestFields = {
  homeAddress: MN,
  homeAgent: HA,
  careOfAddress: COA,
  lifetime: 600,
  identification: timestampId(NOW, LOW),
};

interface Row {
  name: string;
  fields?: Partial<RequestFields>;
  /** How the request is signed (default: Mobile-Home with SA's key; null: not at all). */
  auth?: Authentication | null;
  /** Proxy mode: the per-node authentication method extension 47 with this method. */
  method?: number;
  sa?: SaLookup | 'not-looked-up';
  replay?: RequestInput['replay'];
  bound?: string[];
  policy?: Partial<HomeAgentPolicy>;
  /** The fields to check; `undefined` asserts a field is absent. */
  want: { [K in keyof RequestDecision]?: RequestDecision[K] | undefined } & { code: number };
}

const found = (sa: SecurityAssociation): SaLookup => ({ state: 'found', sa });
const mobileHome = (sa: SecurityAssociation, key = sa.key): Authentication => ({
  spi: sa.spi,
  key,
  algorithm: sa.algorithm,
});
const foreignHome = (sa: SecurityAssociation, key = sa.key): Authentication => ({
  type: 34,
  spi: sa.spi,
  key,
  algorithm: sa.algorithm,
});
const ECHO = { kind: 'echo' } as const;
const FRESH = { kind: 'fresh-nonce' } as const;

const rows: Row[] = [
  // ---- before authentication
  {
    name: 'zero home address: 134, unsigned',
    fields: { homeAddress: '0.0.0.0' },
    sa: 'not-looked-up',
    want: { code: 134, accepted: false, identification: ECHO, sa: undefined },
  },
  {
    name: 'zero care-of address on a registration: 134',
    fields: { careOfAddress: '0.0.0.0' },
    sa: 'not-looked-up',
    want: { code: 134 },
  },
  {
    name: 'the SA source failed: 128, no violation',
    sa: { state: 'failed' },
    want: { code: 128, violation: undefined, sa: undefined },
  },
  // ---- Mobile-Home authentication (RFC 5944 section 3.8.2)
  {
    name: 'no Mobile-Home extension: 131, signed with the SA',
    auth: null,
    want: { code: 131, violation: 'missing-security-extension', sa: SA },
  },
  {
    name: 'no SA for the home address: 131, unsigned',
    sa: { state: 'none' },
    want: { code: 131, violation: 'no-mobility-security-association', sa: undefined },
  },
  {
    name: 'another SPI: 131 bad-spi',
    auth: mobileHome({ ...SA, spi: 999 }),
    want: { code: 131, violation: 'bad-spi', sa: SA },
  },
  {
    name: 'a wrong key: 131 bad-authenticator',
    auth: mobileHome(SA, WRONG_KEY),
    want: { code: 131, violation: 'bad-authenticator', sa: SA },
  },
  // ---- replay protection (section 5.7)
  {
    name: 'timestamp an hour ahead: 133 with the HA time and the node low bits',
    fields: { identification: timestampId(NOW + 3_600_000, LOW) },
    want: {
      code: 133,
      violation: 'bad-identifier',
      identification: { kind: 'value', value: makeIdentification(ntpSeconds(NOW), LOW) },
    },
  },
  {
    name: 'timestamp within the window (7 s late): accepted',
    fields: { identification: timestampId(NOW - 7000, LOW) },
    want: { code: 0, accepted: true, rememberIdentification: true, identification: ECHO },
  },
  {
    name: 'timestamp not above the last accepted: 133',
    replay: { lastAccepted: timestampId(NOW, LOW) },
    want: { code: 133, violation: 'bad-identifier' },
  },
  {
    name: 'nonce mode, first request: 133 with a fresh nonce, no violation',
    sa: found(NONCE_SA),
    auth: mobileHome(NONCE_SA),
    want: { code: 133, violation: undefined, identification: FRESH, sa: NONCE_SA },
  },
  {
    name: 'nonce mode, wrong nonce: 133, violation',
    sa: found(NONCE_SA),
    auth: mobileHome(NONCE_SA),
    replay: { nonce: 42 },
    want: { code: 133, violation: 'bad-identifier', identification: FRESH },
  },
  {
    name: 'nonce mode, the expected nonce: accepted, the next nonce handed out',
    fields: { identification: makeIdentification(42, LOW) },
    sa: found(NONCE_SA),
    auth: mobileHome(NONCE_SA),
    replay: { nonce: 42 },
    want: { code: 0, identification: FRESH, rememberIdentification: undefined },
  },
  // ---- the request's own checks
  {
    name: 'another home agent address: 136, signed',
    fields: { homeAgent: '192.0.2.255' },
    want: { code: 136, sa: SA, identification: ECHO },
  },
  { name: 'GRE asked, not offered: 139', fields: { flags: { G: true } }, want: { code: 139 } },
  {
    name: 'GRE asked and offered: tunnel with GRE',
    fields: { flags: { G: true } },
    policy: { gre: true },
    want: {
      code: 0,
      change: { action: 'bind', lifetime: 300, multiple: false, encapsulation: 'gre', reverseTunnel: false },
    },
  },
  {
    name: 'minimal asked, only GRE offered: 139',
    fields: { flags: { M: true } },
    policy: { gre: true },
    want: { code: 139 },
  },
  { name: 'reverse tunnel asked, not offered: 137', fields: { flags: { T: true } }, want: { code: 137 } },
  {
    name: 'S without simultaneous bindings: 1, one binding',
    fields: { flags: { S: true } },
    bound: ['203.0.113.1'],
    want: {
      code: 1,
      change: {
        action: 'bind',
        lifetime: 300,
        multiple: false,
        encapsulation: 'ip-in-ip',
        reverseTunnel: false,
      },
    },
  },
  {
    name: 'S with the table full for the home address: 135',
    fields: { flags: { S: true } },
    policy: { simultaneousBindings: true },
    bound: ['203.0.113.1', '203.0.113.2'],
    want: { code: 135 },
  },
  {
    name: 'S renewing a bound care-of address with the table full: accepted',
    fields: { flags: { S: true } },
    policy: { simultaneousBindings: true },
    bound: ['203.0.113.1', COA],
    want: {
      code: 0,
      change: {
        action: 'bind',
        lifetime: 300,
        multiple: true,
        encapsulation: 'ip-in-ip',
        reverseTunnel: false,
      },
    },
  },
  // ---- acceptances
  {
    name: 'granted min(asked, maxLifetime)',
    fields: { lifetime: 120 },
    want: {
      code: 0,
      lifetime: 120,
      sa: SA,
      authType: 32,
      change: {
        action: 'bind',
        lifetime: 120,
        multiple: false,
        encapsulation: 'ip-in-ip',
        reverseTunnel: false,
      },
    },
  },
  {
    name: 'deregistration (lifetime 0): every binding goes',
    fields: { lifetime: 0 },
    bound: [COA],
    want: { code: 0, lifetime: 0, change: { action: 'remove-all' } },
  },
  {
    name: 'deregistration of one care-of address with simultaneous bindings',
    fields: { lifetime: 0, flags: { S: true } },
    policy: { simultaneousBindings: true },
    bound: [COA, '203.0.113.1'],
    want: { code: 0, change: { action: 'remove', careOfAddress: COA } },
  },
  {
    name: 'deregistration by the home address as care-of address: every binding goes',
    fields: { careOfAddress: MN, flags: { S: true } },
    policy: { simultaneousBindings: true },
    want: { code: 0, lifetime: 0, change: { action: 'remove-all' } },
  },
  // ---- proxy mode (RFC 5563 section 3.1)
  {
    name: 'proxy mode, IPsec method: 129, unsigned',
    method: PerNodeAuthenticationMethod.ipsec,
    auth: foreignHome(PER_NODE),
    sa: 'not-looked-up',
    want: { code: 129, sa: undefined, violation: undefined },
  },
  {
    name: 'proxy mode, no per-node SAs configured: 129',
    method: PerNodeAuthenticationMethod.faHa,
    auth: foreignHome(PER_NODE),
    sa: 'not-looked-up',
    policy: { perNodeSecurityAssociations: [] },
    want: { code: 129 },
  },
  {
    name: 'proxy mode, no Foreign-Home extension: 132',
    method: PerNodeAuthenticationMethod.faHa,
    auth: mobileHome(SA),
    sa: 'not-looked-up',
    want: { code: 132, violation: 'missing-security-extension', sa: undefined, authType: 34 },
  },
  {
    name: 'proxy mode, unknown SPI: 132 bad-spi',
    method: PerNodeAuthenticationMethod.faHa,
    auth: foreignHome({ ...PER_NODE, spi: 901 }),
    sa: 'not-looked-up',
    want: { code: 132, violation: 'bad-spi', sa: undefined },
  },
  {
    name: 'proxy mode, wrong key: 132, signed with the per-node SA',
    method: PerNodeAuthenticationMethod.faHa,
    auth: foreignHome(PER_NODE, WRONG_KEY),
    sa: 'not-looked-up',
    want: { code: 132, violation: 'bad-authenticator', sa: PER_NODE, authType: 34 },
  },
  {
    name: 'proxy mode, good: accepted, answered with 34',
    method: PerNodeAuthenticationMethod.faHa,
    auth: foreignHome(PER_NODE),
    sa: 'not-looked-up',
    want: { code: 0, accepted: true, sa: PER_NODE, authType: 34, lifetime: 300 },
  },
];

function decoded(row: Row): DecodedRegistration<RegistrationRequest> {
  const req = request({ ...FIELDS, ...row.fields });
  if (row.method !== undefined) req.extensions.push(perNodeAuthenticationMethod(row.method));
  const auth = row.auth === undefined ? mobileHome(SA) : row.auth;
  const bytes = encodeRegistration(req, auth ?? undefined);
  return decodeRegistrationLayout(bytes) as DecodedRegistration<RegistrationRequest>;
}

function input(row: Row): RequestInput {
  const d = decoded(row);
  const i: RequestInput = {
    decoded: d,
    replay: row.replay ?? {},
    bound: row.bound ? new Map(row.bound.map((c) => [c, true])) : undefined,
    now: NOW,
  };
  const sa = row.sa ?? found(SA);
  if (sa !== 'not-looked-up') i.mobileHomeSa = sa;
  return i;
}

describe('decideRequest: the home agent decision, without sockets', () => {
  it.each(rows)('$name', (row) => {
    const i = input(row);
    // The home agent looks the mobile node's SA up exactly when the decision needs it.
    expect(needsMobileHomeSa(i.decoded.message)).toBe(row.sa !== 'not-looked-up');
    const d = decideRequest(i, { ...POLICY, ...row.policy });
    const { want } = row;
    expect(d.code).toBe(want.code);
    expect(d.accepted).toBe(want.code === 0 || want.code === 1);
    for (const key of Object.keys(want) as Array<keyof RequestDecision>) expect(d[key]).toEqual(want[key]);
    // Denials never change the table, grant no lifetime and remember nothing.
    if (!d.accepted) {
      expect(d.change).toBeUndefined();
      expect(d.lifetime).toBe(0);
      expect(d.rememberIdentification).toBeUndefined();
    }
  });

  it('is pure: the same input gives the same decision, and the input is not changed', () => {
    const row = rows.find((r) => r.name.startsWith('granted'))!;
    const i = input(row);
    const before = JSON.stringify(i, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    const a = decideRequest(i, POLICY);
    const b = decideRequest(i, POLICY);
    expect(b).toEqual(a);
    expect(JSON.stringify(i, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))).toBe(before);
  });

  it('keeps the low 32 bits of the request in every computed 133 identification', () => {
    for (const offset of [-3_600_000, -8000, 8000, 86_400_000]) {
      const d = decideRequest(
        input({
          name: 'skew',
          fields: { identification: timestampId(NOW + offset, LOW) },
          want: { code: 133 },
        }),
        POLICY,
      );
      expect(d.code).toBe(133);
      expect(d.identification.kind).toBe('value');
      if (d.identification.kind === 'value') expect(identificationLow(d.identification.value)).toBe(LOW);
    }
  });
});
