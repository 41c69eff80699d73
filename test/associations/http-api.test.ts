/**
 * The association HTTP API over real HTTP, driving real access points that register visitors
 * with real home and foreign agents on loopback (the lab site of test/support/lab-site.ts):
 * add, move and remove a client and see the access points' client state, the home agent's
 * binding and the foreign agent's visitor entry follow. Refusals (bad JSON, bad fields, no token,
 * wrong token, unknown MAC) get their status and reason, and the server keeps serving.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bearerTokenChecker,
  normalizeMac,
  startAssociationsServer,
  type AssociationsServer,
} from '../../src/associations/http-api.ts';
import { FA, HA, settle, startLab, type Lab } from '../support/lab-site.ts';

const TOKEN = 'assoc-TOKEN-0123456789abcdef';
const MAC = '02:00:00:00:00:01';
const CLIENT = { mac: MAC, address: '127.0.1.50', ssid: 'corp' };

describe('association HTTP API', () => {
  let lab: Lab;
  let server: AssociationsServer;
  let logText = '';

  beforeAll(async () => {
    lab = await startLab();
    // Two SSIDs on every access point: PMIP on "corp", off on "guest".
    for (const ap of lab.accessPoints.values()) ap.config.ssids.push({ name: 'guest', pmip: false });
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logText += chunk.toString('utf8');
        done();
      },
    });
    server = await startAssociationsServer({
      listen: { host: '127.0.0.1', port: 0 },
      token: TOKEN,
      accessPoints: lab.accessPoints.values(),
      logger: pino({ level: 'debug' }, sink),
    });
  });
  afterAll(async () => {
    await server?.close();
    await lab?.stop();
  });

  const api = (path: string, init: RequestInit = {}, token: string | null = TOKEN): Promise<Response> =>
    fetch(`${server.url}${path}`, {
      ...init,
      headers: {
        ...(token === null ? {} : { Authorization: `Bearer ${token}` }),
        ...(init.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        ...(init.headers as Record<string, string> | undefined),
      },
    });
  const associate = (body: unknown) =>
    api('/api/v1/associations', { method: 'POST', body: JSON.stringify(body) });

  /** After a refusal the server still answers: the list comes back. */
  async function stillServing(): Promise<void> {
    const res = await api('/api/v1/associations');
    expect(res.status).toBe(200);
    expect(await res.json()).toHaveProperty('associations');
  }

  it('adds a visitor: the access point registers it with its home agent through the foreign agent', async () => {
    const res = await associate({ ...CLIENT, accessPoint: 'ap-B' });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({
      association: { ...CLIENT, accessPoint: 'ap-B' },
      proxied: true,
      movedFrom: null,
      client: { mac: MAC, address: CLIENT.address, ssid: 'corp', state: 'pending' },
    });
    await lab.waitFor('reply-received', (e) => e.node === 'ap-B');
    await settle();
    expect(lab.ap('B').client(MAC)).toMatchObject({
      state: 'registered',
      homeAgent: HA('A'),
      careOfAddress: FA('B'),
    });
    expect(
      lab
        .ha('A')
        .bindings()
        .map((b) => [b.homeAddress, b.careOfAddress]),
    ).toEqual([[CLIENT.address, FA('B')]]);
    expect(
      lab
        .fa('B')
        .visitors()
        .map((v) => [v.homeAddress, v.homeAgent]),
    ).toEqual([[CLIENT.address, HA('A')]]);

    const list = await api('/api/v1/associations');
    expect(await list.json()).toEqual({
      associations: [
        expect.objectContaining({
          accessPoint: 'ap-B',
          mac: MAC,
          address: CLIENT.address,
          ssid: 'corp',
          state: 'registered',
          homeAgent: HA('A'),
          careOfAddress: FA('B'),
        }),
      ],
    });
  });

  it('moves the client when it associates with another access point (any MAC spelling)', async () => {
    lab.scheduler.advance(60_000);
    lab.recorder.clear();
    const res = await associate({ ...CLIENT, mac: '02-00-00-00-00-01'.toUpperCase(), accessPoint: 'ap-C' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      association: { mac: MAC, accessPoint: 'ap-C' },
      proxied: true,
      movedFrom: 'ap-B',
    });
    expect(lab.ap('B').client(MAC)).toBeUndefined();
    await lab.waitFor('reply-received', (e) => e.node === 'ap-C');
    await settle();
    expect(lab.recorder.of('client-removed', 'ap-B')).toHaveLength(1);
    expect(lab.recorder.of('client-moved', 'ap-C').map((e) => e.movement)).toEqual(['foreign-to-foreign']);
    expect(lab.ap('C').client(MAC)).toMatchObject({ state: 'registered', careOfAddress: FA('C') });
    expect(
      lab
        .ha('A')
        .bindings()
        .map((b) => [b.homeAddress, b.careOfAddress]),
    ).toEqual([[CLIENT.address, FA('C')]]);
    expect(
      lab
        .fa('C')
        .visitors()
        .map((v) => v.homeAddress),
    ).toEqual([CLIENT.address]);
    const list = (await (await api('/api/v1/associations')).json()) as { associations: unknown[] };
    expect(list.associations).toEqual([expect.objectContaining({ accessPoint: 'ap-C', mac: MAC })]);

    // A late "left ap-B" (after the client roamed on) does not cut it off on ap-C.
    const late = await api(`/api/v1/associations/${MAC}?accessPoint=ap-B`, { method: 'DELETE' });
    expect(late.status).toBe(404);
    expect(await late.json()).toEqual({
      error: `mac: ${MAC} is not associated with access point ap-B (it is on ap-C)`,
    });
    expect(lab.ap('C').client(MAC)).toMatchObject({ state: 'registered' });
  });

  it('moves the client home: the access point deregisters it and the binding goes', async () => {
    lab.scheduler.advance(60_000);
    const res = await associate({ ...CLIENT, accessPoint: 'ap-A' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ movedFrom: 'ap-C', client: { state: 'home' } });
    await lab.waitFor('reply-received', (e) => e.node === 'ap-A' && e.kind === 'deregistration');
    await settle();
    expect(lab.ha('A').bindings()).toEqual([]);
    expect(lab.ap('C').client(MAC)).toBeUndefined();
    expect(lab.ap('A').client(MAC)).toMatchObject({ state: 'home' });
  });

  it('removes the client', async () => {
    const res = await api(`/api/v1/associations/${MAC}?accessPoint=ap-A`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ mac: MAC, accessPoint: 'ap-A', removed: true });
    for (const s of ['A', 'B', 'C'] as const) expect(lab.ap(s).client(MAC)).toBeUndefined();
    // Without ?accessPoint the client leaves wherever it is.
    const other = '02:00:00:00:00:03';
    expect(
      (await associate({ ...CLIENT, mac: other, address: '127.0.2.60', accessPoint: 'ap-B' })).status,
    ).toBe(201);
    const anywhere = await api(`/api/v1/associations/${other}`, { method: 'DELETE' });
    expect(anywhere.status).toBe(200);
    expect(await anywhere.json()).toEqual({ mac: other, accessPoint: 'ap-B', removed: true });
    expect(await (await api('/api/v1/associations')).json()).toEqual({ associations: [] });
  });

  it('does not proxy a client on an SSID without PMIP, and ends its association elsewhere', async () => {
    expect((await associate({ ...CLIENT, accessPoint: 'ap-B' })).status).toBe(201);
    const res = await associate({ ...CLIENT, ssid: 'guest', accessPoint: 'ap-C' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      association: { ...CLIENT, ssid: 'guest', accessPoint: 'ap-C' },
      proxied: false,
      reason: 'PMIP is disabled on SSID "guest" of access point ap-C',
      movedFrom: 'ap-B',
      client: null,
    });
    const unknownSsid = await associate({
      ...CLIENT,
      mac: '02:00:00:00:00:02',
      ssid: 'lab',
      accessPoint: 'ap-C',
    });
    expect(unknownSsid.status).toBe(201);
    expect(await unknownSsid.json()).toMatchObject({
      proxied: false,
      reason: 'SSID "lab" is not configured on access point ap-C: not proxied',
    });
    expect(await (await api('/api/v1/associations')).json()).toEqual({ associations: [] });
  });

  it('refuses bad JSON with 400 and the reason', async () => {
    const res = await api('/api/v1/associations', { method: 'POST', body: '{"mac": "02:00:00:00:00:01",' });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'body: not valid JSON' });
    await stillServing();
  });

  it('refuses bad fields with 400 naming each field and rule', async () => {
    const res = await associate({
      mac: '02:00:00:00:00',
      address: '127.0.1.500',
      ssid: '',
      accessPoint: 'ap-Z',
      vlan: 3,
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error:
        'mac: must be a MAC address such as 02:00:00:00:00:01; ' +
        'address: must be a dotted-quad IPv4 address; ' +
        'ssid: must not be empty; ' +
        'accessPoint: must be an access point on this host (ap-A, ap-B, ap-C); ' +
        'body: unknown field "vlan"',
    });
    const missing = await associate({ mac: MAC });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({
      error: 'address: is required; ssid: is required; accessPoint: is required',
    });
    const notObject = await associate([CLIENT]);
    expect(notObject.status).toBe(400);
    expect(await notObject.json()).toEqual({
      error: 'body: must be a JSON object {mac, address, ssid, accessPoint, nai?}',
    });
    await stillServing();
  });

  it('refuses a request without a token with 401 and the reason', async () => {
    const res = await api(
      '/api/v1/associations',
      { method: 'POST', body: JSON.stringify({ ...CLIENT, accessPoint: 'ap-B' }) },
      null,
    );
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="pmip-exporter associations"');
    expect(await res.json()).toEqual({
      error: 'authorization: a bearer token is required (Authorization: Bearer TOKEN)',
    });
    const basic = await api(
      '/api/v1/associations',
      { headers: { Authorization: `Basic ${btoa(`x:${TOKEN}`)}` } },
      null,
    );
    expect(basic.status).toBe(401);
    expect(lab.ap('B').client(MAC)).toBeUndefined();
    await stillServing();
  });

  it('refuses a wrong token with 401 and the reason, and changes nothing', async () => {
    for (const wrong of [`${TOKEN}x`, TOKEN.slice(0, -1), 'x']) {
      const res = await api(
        `/api/v1/associations`,
        { method: 'POST', body: JSON.stringify({ ...CLIENT, accessPoint: 'ap-B' }) },
        wrong,
      );
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
      expect(await res.json()).toEqual({ error: 'authorization: the bearer token is not valid' });
    }
    expect(lab.ap('B').client(MAC)).toBeUndefined();
    await stillServing();
  });

  it('answers 404 with the reason for an unknown MAC, 400 for a malformed one', async () => {
    const res = await api('/api/v1/associations/02:00:00:00:00:99', { method: 'DELETE' });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error: 'mac: 02:00:00:00:00:99 is not associated with any access point on this host',
    });
    const bad = await api('/api/v1/associations/not-a-mac', { method: 'DELETE' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'mac: must be a MAC address such as 02:00:00:00:00:01' });
    const badAp = await api('/api/v1/associations/02:00:00:00:00:99?accessPoint=ap-Z', { method: 'DELETE' });
    expect(badAp.status).toBe(400);
    expect(await badAp.json()).toEqual({
      error: 'accessPoint: must be an access point on this host (ap-A, ap-B, ap-C)',
    });
    const unknownPath = await api('/api/v1/clients');
    expect(unknownPath.status).toBe(404);
    expect(await unknownPath.json()).toEqual({ error: 'no such endpoint: GET /api/v1/clients' });
    const query = await api('/api/v1/associations?all=1');
    expect(query.status).toBe(400);
    expect(await query.json()).toEqual({ error: 'unknown query parameter: all' });
    await stillServing();
  });

  it('refuses an NAI longer than 255 bytes in UTF-8 (the extension length is one octet), accepts 255', async () => {
    const mac = '02:00:00:00:00:0a';
    const tooLong = await associate({ ...CLIENT, mac, accessPoint: 'ap-B', nai: 'é'.repeat(128) });
    expect(tooLong.status).toBe(400);
    expect(await tooLong.json()).toEqual({ error: 'nai: at most 255 bytes in UTF-8 (got 256)' });
    expect(lab.ap('B').client(mac)).toBeUndefined();
    const loneSurrogate = await associate({ ...CLIENT, mac, accessPoint: 'ap-B', nai: 'a\ud800@x' });
    expect(loneSurrogate.status).toBe(400);
    expect(await loneSurrogate.json()).toEqual({
      error: 'nai: must be valid Unicode text (a lone surrogate has no UTF-8 form)',
    });
    // 255 bytes: 127 two-byte characters and one ASCII one. The access point sends it.
    lab.recorder.clear();
    const longest = 'é'.repeat(127) + 'a';
    const ok = await associate({ ...CLIENT, mac, accessPoint: 'ap-B', nai: longest });
    expect(ok.status).toBe(201);
    expect(await ok.json()).toMatchObject({ association: { nai: longest }, proxied: true });
    await lab.waitFor('reply-received', (e) => e.node === 'ap-B');
    const removed = await api(`/api/v1/associations/${mac}`, { method: 'DELETE' });
    expect(removed.status).toBe(200);
    await stillServing();
  });

  it.each([
    ['0.0.0.0', 'address: must be a unicast client address, not 0.0.0.0 (unspecified)'],
    ['255.255.255.255', 'address: must be a unicast client address, not 255.255.255.255 (limited broadcast)'],
    ['224.0.0.1', 'address: must be a unicast client address, not a multicast address (224.0.0.0/4)'],
    ['239.255.255.255', 'address: must be a unicast client address, not a multicast address (224.0.0.0/4)'],
    ['240.0.0.1', 'address: must be a unicast client address, not a class E address (240.0.0.0/4, reserved)'],
  ])('refuses the client address %s with 400 and the reason', async (address, error) => {
    const res = await associate({ ...CLIENT, address, accessPoint: 'ap-B' });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error });
    expect(lab.ap('B').client(MAC)).toBeUndefined();
  });

  it.each([['null'], ['1'], ['"x"'], ['true']])(
    'refuses the JSON body %s as not an object (it is valid JSON)',
    async (body) => {
      const res = await api('/api/v1/associations', { method: 'POST', body });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({
        error: 'body: must be a JSON object {mac, address, ssid, accessPoint, nai?}',
      });
    },
  );

  it('refuses a path segment that is not valid percent-encoding with 400 naming it', async () => {
    for (const segment of ['%zz', '02:00:00:00:00:0%']) {
      const res = await api(`/api/v1/associations/${segment}`, { method: 'DELETE' });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: `path: segment "${segment}" is not valid percent-encoding` });
    }
    // A well-formed escape still decodes: %3A is a colon.
    const escaped = await api('/api/v1/associations/02%3A00%3A00%3A00%3A00%3A99', { method: 'DELETE' });
    expect(escaped.status).toBe(404);
    expect(await escaped.json()).toEqual({
      error: 'mac: 02:00:00:00:00:99 is not associated with any access point on this host',
    });
    await stillServing();
  });

  it('refuses a repeated query parameter with 400 and its own reason', async () => {
    const res = await api(`/api/v1/associations/${MAC}?accessPoint=ap-A&accessPoint=ap-B`, {
      method: 'DELETE',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'accessPoint: given 2 times, at most once' });
    const unknown = await api(`/api/v1/associations/${MAC}?accessPoint=ap-A&colour=red`, {
      method: 'DELETE',
    });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toEqual({ error: 'unknown query parameter: colour' });
    const post = await api('/api/v1/associations?dryRun=1', {
      method: 'POST',
      body: JSON.stringify({ ...CLIENT, accessPoint: 'ap-B' }),
    });
    expect(post.status).toBe(400);
    expect(await post.json()).toEqual({ error: 'unknown query parameter: dryRun' });
    expect(lab.ap('B').client(MAC)).toBeUndefined();
  });

  it.each([
    ['PUT', '/api/v1/associations', 'GET, HEAD, POST'],
    ['DELETE', '/api/v1/associations', 'GET, HEAD, POST'],
    ['PATCH', '/api/v1/associations', 'GET, HEAD, POST'],
    ['GET', `/api/v1/associations/${MAC}`, 'DELETE'],
    ['POST', `/api/v1/associations/${MAC}`, 'DELETE'],
    ['PUT', `/api/v1/associations/${MAC}`, 'DELETE'],
    ['POST', '/-/healthy', 'GET, HEAD'],
  ])('answers %s %s with 405 and Allow: %s', async (method, path, allow) => {
    const res = await api(path, { method });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe(allow);
    expect(await res.json()).toEqual({
      error: `method not allowed: ${method} ${path} (allowed: ${allow})`,
    });
  });

  it('answers OPTIONS with 200 and Allow, keeps 404 for unknown paths and 401 before 405', async () => {
    const options = await api('/api/v1/associations', { method: 'OPTIONS' });
    expect(options.status).toBe(200);
    expect(options.headers.get('allow')).toBe('GET, HEAD, POST');
    const unknown = await api('/api/v1/clients', { method: 'PUT' });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('allow')).toBeNull();
    const anonymous = await api('/api/v1/associations', { method: 'PUT' }, null);
    expect(anonymous.status).toBe(401);
    await stillServing();
  });

  it('never logs the token', async () => {
    await settle(50);
    expect(logText).toContain('client associated');
    expect(logText).toContain('wrong bearer token');
    expect(logText).not.toContain(TOKEN);
    expect(logText).not.toContain(TOKEN.slice(0, -1));
  });
});

describe('association API helpers', () => {
  it('compares tokens of any length without throwing', () => {
    const matches = bearerTokenChecker(TOKEN);
    expect(matches(TOKEN)).toBe(true);
    expect(matches('')).toBe(false);
    expect(matches(`${TOKEN}${TOKEN}`)).toBe(false);
  });

  it('normalizes MAC spellings to lowercase with colons', () => {
    expect(normalizeMac('02-AB-00-00-00-01')).toBe('02:ab:00:00:00:01');
    expect(normalizeMac('02:ab:00:00:00:01')).toBe('02:ab:00:00:00:01');
  });
});
