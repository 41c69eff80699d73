/**
 * Extension 47, the PMIPv4 non-skippable extension carrying the per-node authentication method
 * (RFC 5563 section 3.1): we encode the long form (RFC 5944 section 1.11: non-skippable types use
 * the long extension format), decode the short form `47, length, sub-type, method` that some
 * implementations write when the bytes leave no doubt, mark each such lenient decode, and what we
 * encode dissects cleanly in tshark.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PcapWriter } from '../../../src/capture/index.ts';
import {
  decodeRegistrationLayout,
  encodeRegistration,
  messageFromJson,
  messageToJson,
  requestFlags,
  verifyAuthentication,
  type RegistrationRequest,
} from '../../../src/pmip/wire/index.ts';
import {
  lenientDecodes,
  perNodeAuthenticationMethod,
  PerNodeAuthenticationMethod,
} from '../../../src/pmip/wire/extensions.ts';
import { dissect, runTshark, shows, tsharkAvailable } from '../../support/tshark.ts';
import { Collector } from '../../../src/collector/collector.ts';
import { createPrometheusExporter } from '../../../src/exporters/prometheus.ts';
import { SITE } from '../../support/event-script.ts';

const KEY = Buffer.from('00112233445566778899aabbccddeeff', 'hex');

function request(extensions: RegistrationRequest['extensions']): RegistrationRequest {
  return {
    type: 'registration-request',
    flags: requestFlags(),
    lifetime: 600,
    homeAddress: '10.1.0.50',
    homeAgent: '10.1.0.1',
    careOfAddress: '10.2.0.2',
    identification: 0xe8f1a2b300000001n,
    extensions,
  };
}

/** The same request with its ext 47 rewritten in the short form and re-authenticated (34). */
function shortFormRequest(method: number): Buffer {
  const long = encodeRegistration(request([perNodeAuthenticationMethod(method)]), {
    type: 34,
    spi: 300,
    key: KEY,
    algorithm: 'hmac-md5',
  });
  const at = 24;
  expect([...long.subarray(at, at + 5)]).toEqual([47, 1, 0, 1, method]);
  return encodeRegistration(
    request([{ kind: 'long', type: 47, subtype: 1, data: Buffer.from([method]), form: 'short' }]),
    { type: 34, spi: 300, key: KEY, algorithm: 'hmac-md5' },
  );
}

describe('extension 47 (per-node authentication method, RFC 5563 section 3.1)', () => {
  it('is encoded in the long form: 47, sub-type 1, 16-bit length 1, method', () => {
    const bytes = encodeRegistration(request([perNodeAuthenticationMethod()]));
    expect(bytes.subarray(24).toString('hex')).toBe('2f01000101');
    const decoded = decodeRegistrationLayout(bytes);
    expect(decoded.message.extensions).toEqual([
      { kind: 'long', type: 47, subtype: 1, data: Buffer.from([PerNodeAuthenticationMethod.faHa]) },
    ]);
    expect(lenientDecodes(decoded.message.extensions)).toBe(0);
  });

  it.each([PerNodeAuthenticationMethod.faHa, PerNodeAuthenticationMethod.ipsec])(
    'the short form (method %i) decodes to the same sub-type and method, marked lenient, bytes kept',
    (method) => {
      const longBytes = encodeRegistration(request([perNodeAuthenticationMethod(method)]), {
        type: 34,
        spi: 300,
        key: KEY,
        algorithm: 'hmac-md5',
      });
      const shortBytes = shortFormRequest(method);
      expect(shortBytes.subarray(24, 28).toString('hex')).toBe(
        `2f0201${method.toString(16).padStart(2, '0')}`,
      );
      const fromLong = decodeRegistrationLayout(longBytes);
      const fromShort = decodeRegistrationLayout(shortBytes);
      const ext = (d: typeof fromLong) => d.message.extensions[0]!;
      const l = ext(fromLong);
      const s = ext(fromShort);
      expect(l.kind === 'long' && s.kind === 'long').toBe(true);
      if (l.kind !== 'long' || s.kind !== 'long') return;
      expect({ type: s.type, subtype: s.subtype, data: s.data }).toEqual({
        type: l.type,
        subtype: l.subtype,
        data: l.data,
      });
      expect(s.form).toBe('short');
      expect(lenientDecodes(fromShort.message.extensions)).toBe(1);
      // The Foreign-Home authenticator after it is found and verifies over the bytes as sent.
      expect(fromShort.message.extensions[1]).toMatchObject({ kind: 'auth', type: 34, spi: 300 });
      expect(verifyAuthentication(fromShort, { type: 34, spi: 300, key: KEY, algorithm: 'hmac-md5' })).toBe(
        'ok',
      );
      // Re-encoding keeps the form, so the bytes (and the authenticator over them) survive.
      expect(encodeRegistration(fromShort.message).equals(shortBytes)).toBe(true);
    },
  );

  it('the JSON shape keeps the short form, so wire encode gives the same bytes back', () => {
    const bytes = shortFormRequest(1);
    const json = messageToJson(decodeRegistrationLayout(bytes).message);
    expect((json.extensions as unknown[])[0]).toEqual({ type: 47, subtype: 1, data: '01', form: 'short' });
    const back = messageFromJson(json);
    expect(encodeRegistration(back as RegistrationRequest).equals(bytes)).toBe(true);
  });

  it('stays long when both readings fit and the long one leaves a remainder that decodes', () => {
    // 47, sub-type 2, length 0: as short it would be length 2 (sub-type 0, data 0x00) then 0x00,
    // a pad-like byte that is an unknown non-skippable type: only the long reading decodes.
    const bytes = encodeRegistration(
      request([{ kind: 'long', type: 47, subtype: 2, data: Buffer.alloc(0) }]),
    );
    const d = decodeRegistrationLayout(Buffer.concat([bytes, Buffer.from('830131', 'hex')]));
    expect(d.message.extensions[0]).toEqual({ kind: 'long', type: 47, subtype: 2, data: Buffer.alloc(0) });
    expect(lenientDecodes(d.message.extensions)).toBe(0);
  });

  it('a bare `47, 1, x` is no evidence of the short form: the long reading and its error stand', () => {
    const bytes = Buffer.concat([encodeRegistration(request([])), Buffer.from('2f0100', 'hex')]);
    expect(() => decodeRegistrationLayout(bytes)).toThrow(/needs 4 bytes/);
  });

  it('many type-47 extensions decode in linear time (no exponential look-ahead)', () => {
    const one = Buffer.from('2f020101', 'hex'); // short form each
    const bytes = Buffer.concat([
      encodeRegistration(request([])),
      ...Array.from({ length: 4000 }, () => one),
    ]);
    const t = performance.now();
    const d = decodeRegistrationLayout(bytes);
    expect(performance.now() - t).toBeLessThan(2000);
    expect(d.message.extensions).toHaveLength(4000);
    expect(lenientDecodes(d.message.extensions)).toBe(4000);
  });
});

describe('lenient decodes are counted', () => {
  it('lenient-decode events count by node kind, and /metrics shows the family only once one came', async () => {
    const c = new Collector({ ...SITE });
    const exporter = createPrometheusExporter({ collector: c, defaultMetrics: false });
    expect(await exporter.render()).not.toContain('pmip_lenient_decodes_total');
    const at = { time: Date.now(), node: 'ha-north', nodeKind: 'home-agent' as const };
    for (let i = 0; i < 3; i++)
      c.ingest({
        ...at,
        type: 'lenient-decode',
        socket: 'registration',
        what: 'ext47-short-form',
        peer: '10.2.0.2',
      });
    expect(c.snapshot().lenientDecodes).toEqual([
      { nodeKind: 'home-agent', what: 'ext47-short-form', count: 3 },
    ]);
    expect(await exporter.render()).toContain(
      'pmip_lenient_decodes_total{node_kind="home_agent",what="ext47_short_form"} 3\n',
    );
  });
});

describe.skipIf(!tsharkAvailable())('extension 47 in tshark', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pmip-ext47-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('what we encode dissects cleanly: sub-type 1, method FA-HA, no expert warning', () => {
    const w = new PcapWriter();
    for (const method of [1, 2]) {
      const payload = encodeRegistration(request([perNodeAuthenticationMethod(method)]), {
        type: 34,
        spi: 300,
        key: KEY,
        algorithm: 'hmac-md5',
      });
      w.addUdp({ src: '10.2.0.5', dst: '10.1.0.1', srcPort: 434, dstPort: 434, payload });
    }
    const file = path.join(dir, 'ext47.pcap');
    writeFileSync(file, w.toBuffer());
    const warnings = runTshark(['-r', file, '-Y', '_ws.malformed || _ws.expert.severity >= warning']);
    expect(warnings.trim()).toBe('');
    const frames = dissect(file);
    expect(frames.size).toBe(2);
    expect(shows(frames.get(1)!, 'mip.ext.pmipv4nonskipext.subtype')).toEqual(['1']);
    expect(shows(frames.get(1)!, 'mip.ext.pmipv4nonskipext.pernodeauthmethod')).toEqual(['1']);
    expect(shows(frames.get(2)!, 'mip.ext.pmipv4nonskipext.pernodeauthmethod')).toEqual(['2']);
    expect(shows(frames.get(1)!, 'mip.auth.spi')).toEqual(['0x0000012c']);
  });

  it('the short form is what tshark 4.0 cannot read (it reads 47 in the long form only)', () => {
    const w = new PcapWriter();
    w.addUdp({ src: '10.2.0.5', dst: '10.1.0.1', srcPort: 434, dstPort: 434, payload: shortFormRequest(1) });
    const file = path.join(dir, 'ext47-short.pcap');
    writeFileSync(file, w.toBuffer());
    const flagged = runTshark(['-r', file, '-Y', '_ws.malformed || _ws.expert.severity >= warning']);
    expect(flagged.trim()).not.toBe('');
  });
});
