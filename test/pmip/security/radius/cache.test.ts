/**
 * The RADIUS SA cache and the hold-down, on a fake clock against a real FreeRADIUS: accepted SAs
 * are kept `cacheSeconds`, rejects `negativeCacheSeconds`, a bypass asks the server again, and a
 * server that timed out is skipped until its hold-down ends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PmipEvent } from '../../../../src/pmip/events.ts';
import { FakeScheduler } from '../../../../src/pmip/runtime/scheduler.ts';
import { RadiusSecurityAssociations } from '../../../../src/pmip/security/radius/provider.ts';
import { SecurityAssociationUnavailable } from '../../../../src/pmip/security/store.ts';
import { freeUdpPort, hasFreeRadius, startFreeRadius, type FreeRadius } from '../../../support/freeradius.ts';

const SECRET = 'cache-test-SECRET';
const USERS = `10.7.0.1  Cleartext-Password := "pw-CACHE"
        Cisco-AVPair = "mobileip:spi#0=spi 400 key ascii a-text-key-of-any-length"
`;

describe.skipIf(!hasFreeRadius())('RADIUS SA cache and hold-down', () => {
  let fr: FreeRadius;
  beforeAll(async () => {
    fr = await startFreeRadius({ secret: SECRET, users: USERS });
  }, 20000);
  afterAll(async () => {
    await fr?.destroy();
  });

  function provider(
    servers: Array<{ name: string; port: number }>,
    clock: FakeScheduler,
    events: PmipEvent[],
  ) {
    return new RadiusSecurityAssociations({
      servers: servers.map((s) => ({ ...s, address: '127.0.0.1', secret: SECRET })),
      password: 'pw-CACHE',
      userName: 'home-address',
      attributeStyle: 'cisco',
      timeoutMs: 100,
      retries: 0,
      holdDownMs: 10_000,
      messageAuthenticator: true,
      cacheSeconds: 60,
      negativeCacheSeconds: 5,
      algorithm: 'hmac-md5',
      replay: 'timestamp',
      replayWindowSeconds: 7,
      scheduler: clock,
      emit: (e) => events.push(e),
    });
  }
  const exchanges = (events: PmipEvent[]) => events.filter((e) => e.type === 'radius-exchange').length;

  it('keeps an accept for cacheSeconds and a reject for negativeCacheSeconds; a bypass asks again', async () => {
    const clock = new FakeScheduler(1_000_000);
    const events: PmipEvent[] = [];
    const p = provider([{ name: 'aaa', port: fr.port }], clock, events);
    try {
      const first = await p.lookup('10.7.0.1');
      expect(first.sa.key.toString()).toBe('a-text-key-of-any-length');
      expect(first.description).toMatchObject({
        spi: 400,
        algorithm: 'hmac-md5',
        source: 'radius',
        server: 'aaa',
      });
      clock.advance(59_000);
      await p.lookup('10.7.0.1');
      expect(exchanges(events)).toBe(1);
      expect(p.describe()[0]).toMatchObject({ scope: '10.7.0.1', ageSeconds: 59 });
      await p.lookup('10.7.0.1', { bypassCache: true });
      expect(exchanges(events)).toBe(2);
      clock.advance(61_000);
      await p.lookup('10.7.0.1');
      expect(exchanges(events)).toBe(3);

      await expect(p.lookup('10.7.0.99')).rejects.toMatchObject({ reason: 'rejected', server: 'aaa' });
      clock.advance(4_000);
      await expect(p.lookup('10.7.0.99')).rejects.toBeInstanceOf(SecurityAssociationUnavailable);
      expect(exchanges(events)).toBe(4);
      expect(events.filter((e) => e.type === 'radius-cache-hit' && e.negative)).toHaveLength(1);
      clock.advance(2_000);
      await expect(p.lookup('10.7.0.99')).rejects.toMatchObject({ reason: 'rejected' });
      expect(exchanges(events)).toBe(5);
      // No key in what the provider lists or throws.
      expect(JSON.stringify([p.describe(), events])).not.toContain('a-text-key');
    } finally {
      await p.close();
    }
  });

  it('skips a server that timed out until its hold-down ends, then asks it first again', async () => {
    const clock = new FakeScheduler(2_000_000);
    const events: PmipEvent[] = [];
    const dead = await freeUdpPort();
    const p = provider(
      [
        { name: 'down', port: dead },
        { name: 'up', port: fr.port },
      ],
      clock,
      events,
    );
    const drive = async <T>(promise: Promise<T>): Promise<T> => {
      let done = false;
      void promise.finally(() => (done = true)).catch(() => undefined);
      while (!done) {
        await new Promise((r) => setTimeout(r, 5));
        clock.advance(50);
      }
      return promise;
    };
    try {
      await drive(p.lookup('10.7.0.1'));
      const servers = () =>
        events.filter((e) => e.type === 'radius-exchange').map((e) => `${e.server}:${e.result}`);
      expect(servers()).toEqual(['down:timeout', 'up:accept']);
      expect(events.filter((e) => e.type === 'radius-failover')).toMatchObject([{ from: 'down', to: 'up' }]);
      await drive(p.lookup('10.7.0.1', { bypassCache: true }));
      expect(servers()).toEqual(['down:timeout', 'up:accept', 'up:accept']);
      clock.advance(10_000);
      await drive(p.lookup('10.7.0.1', { bypassCache: true }));
      expect(servers()).toEqual(['down:timeout', 'up:accept', 'up:accept', 'down:timeout', 'up:accept']);
    } finally {
      await p.close();
    }
  });
});
