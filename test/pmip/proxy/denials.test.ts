import { afterEach, describe, expect, it } from 'vitest';
import { FA, HA, KEY, WRONG_KEY, settle, startLab, type Lab } from '../../support/lab-site.ts';
import { UdpEndpoint } from '../../../src/pmip/runtime/udp.ts';
import { encodeRegistration, identificationFromHex } from '../../../src/pmip/wire/index.ts';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const client = (n: number) => ({
  mac: `02:00:00:00:01:${n.toString(16).padStart(2, '0')}`,
  address: `127.0.1.${100 + n}`,
  ssid: 'corp',
});

describe('access point denial handling over real UDP', () => {
  let lab: Lab;
  afterEach(async () => {
    await lab?.stop();
  });

  for (const [label, offset] of [
    ['1 hour ahead', HOUR],
    ['1 day behind', -DAY],
  ] as const) {
    it(`timestamp mode, AP clock ${label}: one 133, a resync, then accepted; later requests need no 133`, async () => {
      lab = await startLab({ apClockOffsetMs: { B: offset } });
      lab.ap('B').associate(client(1));
      const accepted = await lab.waitFor('reply-received', (e) => e.code === 0);
      expect(accepted.node).toBe('ap-B');
      const replies = lab.recorder.of('reply-received', 'ap-B').map((e) => e.code);
      expect(replies).toEqual([133, 0]);
      const sync = lab.recorder.of('time-sync', 'ap-B');
      expect(sync).toHaveLength(1);
      expect(sync[0]).toMatchObject({ homeAgent: HA('A'), mode: 'timestamp' });
      // The learnt offset undoes the skew to within the home agent's one-second resolution.
      expect(Math.abs(sync[0]!.offsetSeconds + offset / 1000)).toBeLessThan(1.5);
      expect(
        lab
          .ha('A')
          .bindings()
          .map((b) => b.careOfAddress),
      ).toEqual([FA('B')]);

      // A second client, and the first client's renewal, are accepted at once.
      lab.ap('B').associate(client(2));
      await lab.waitFor('reply-received', (e) => e.client.address === client(2).address);
      lab.scheduler.advance(600_000 * 0.8 + 1000);
      await lab.waitFor(
        'reply-received',
        (e) => e.kind === 'renewal' && e.client.address === client(1).address,
      );
      await settle();
      expect(
        lab.recorder.of('reply-received', 'ap-B').map((e) => `${e.client.address} ${e.kind} ${e.code}`),
      ).toEqual([
        `${client(1).address} initial 133`,
        `${client(1).address} initial 0`,
        `${client(2).address} initial 0`,
        `${client(1).address} renewal 0`,
        `${client(2).address} renewal 0`,
      ]);
      expect(lab.recorder.of('time-sync')).toHaveLength(1);
    });
  }

  it('nonce mode: the first request gets 133 with a nonce, the retry and the renewal are accepted', async () => {
    lab = await startLab({ replay: 'nonce' });
    lab.ap('B').associate(client(1));
    await lab.waitFor('reply-received', (e) => e.code === 0);
    expect(lab.recorder.of('time-sync', 'ap-B')).toEqual([
      expect.objectContaining({ homeAgent: HA('A'), mode: 'nonce', offsetSeconds: 0 }),
    ]);
    lab.scheduler.advance(600_000 * 0.8 + 1000);
    await lab.waitFor('reply-received', (e) => e.kind === 'renewal');
    await settle();
    expect(lab.recorder.of('reply-received', 'ap-B').map((e) => `${e.kind} ${e.code}`)).toEqual([
      'initial 133',
      'initial 0',
      'renewal 0',
    ]);
  });

  it('wrong key: the home agent denies with 131 and both sides count a security violation', async () => {
    const victim = client(3);
    lab = await startLab({ apKeyFor: { [victim.address]: WRONG_KEY } });
    lab.ap('B').associate(victim);
    await lab.waitFor('request-denied', (e) => e.node === 'ha-A');
    await lab.waitFor('security-violation', (e) => e.node === 'ap-B');
    expect(lab.recorder.of('request-denied', 'ha-A')).toEqual([
      expect.objectContaining({
        code: 131,
        reason: 'ha_mn_failed_authentication',
        homeAddress: victim.address,
      }),
    ]);
    expect(lab.recorder.of('security-violation', 'ha-A')[0]).toMatchObject({ reason: 'bad-authenticator' });
    // The 131 reply is authenticated with the home agent's key, which the AP does not share: refused.
    expect(lab.recorder.of('security-violation', 'ap-B')[0]).toMatchObject({
      reason: 'bad-authenticator',
      peer: FA('B'),
    });
    expect(lab.recorder.of('reply-received', 'ap-B')).toEqual([]);
    expect(lab.ha('A').bindings()).toEqual([]);
  });

  it('a forged reply (bad authenticator) is refused and counted; the real reply still lands', async () => {
    lab = await startLab();
    await lab.ha('A').stop(); // keep the request pending
    lab.ap('B').associate(client(4));
    await lab.waitFor('request-relayed');
    const pending = lab.fa('B').pending()[0]!;
    const forger = await UdpEndpoint.bind({ address: '127.0.2.66', port: 0, onDatagram: () => undefined });
    const forged = encodeRegistration(
      {
        type: 'registration-reply',
        code: 0,
        lifetime: 600,
        homeAddress: pending.homeAddress,
        homeAgent: pending.homeAgent,
        identification: identificationFromHex(pending.identification),
        extensions: [],
      },
      { spi: 256, key: Buffer.from(WRONG_KEY, 'hex'), algorithm: 'prefix-suffix' },
    );
    forger.send(forged, { address: '127.0.2.10', port: lab.ap('B').ports.registration });
    await lab.waitFor('security-violation', (e) => e.node === 'ap-B');
    await forger.close();
    expect(lab.recorder.of('security-violation', 'ap-B')).toEqual([
      expect.objectContaining({ reason: 'bad-authenticator', peer: '127.0.2.66' }),
    ]);
    expect(lab.ap('B').client(client(4).mac)?.state).toBe('pending');
    expect(KEY).not.toBe(WRONG_KEY);
  });
});
