/**
 * The raw ICMP endpoint of ICMP agent discovery (src/pmip/runtime/icmp.ts): as root it sends and
 * hears ICMP on loopback (a solicitation, a mobility advertisement from our codec); without
 * CAP_NET_RAW opening it fails with the plain reason, and an access point with `discovery: icmp`
 * refuses to start saying so, while UDP discovery keeps working for the same user.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  IcmpEndpoint,
  IcmpUnavailableError,
  isMobilityAdvertisement,
  isSolicitation,
} from '../../../src/pmip/runtime/icmp.ts';
import {
  advertisementFlags,
  decodeIcmpMobility,
  encodeAgentAdvertisement,
  encodeAgentSolicitation,
} from '../../../src/pmip/wire/index.ts';
import { waitUntil } from '../../support/lab-site.ts';

const repoRoot = path.resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot)('raw ICMP endpoint (as root)', () => {
  it('hears what it sends on loopback, IP header stripped, and the filters tell the types apart', async () => {
    const heard: Array<{ icmp: Buffer; from: string }> = [];
    const e = IcmpEndpoint.open({
      address: '127.0.0.1',
      onMessage: (icmp, from) => heard.push({ icmp, from }),
    });
    try {
      const adv = encodeAgentAdvertisement({
        type: 'agent-advertisement',
        icmpCode: 0,
        routerLifetime: 1800,
        routerAddresses: [{ address: '127.0.0.1', preference: 0 }],
        sequence: 7,
        registrationLifetime: 600,
        flags: advertisementFlags({ F: true, R: true }),
        careOfAddresses: ['127.0.0.1'],
        padding: 0,
      });
      e.send(encodeAgentSolicitation(), '127.0.0.1');
      e.send(adv, '127.0.0.1');
      await waitUntil(
        () => heard.some((h) => isMobilityAdvertisement(h.icmp)) && heard.some((h) => isSolicitation(h.icmp)),
        'the advertisement and the solicitation',
      );
      const sol = heard.find((h) => isSolicitation(h.icmp))!;
      expect(sol.from).toBe('127.0.0.1');
      expect(decodeIcmpMobility(sol.icmp).type).toBe('agent-solicitation');
      const got = heard.find((h) => isMobilityAdvertisement(h.icmp))!;
      expect(got.icmp.equals(adv)).toBe(true);
      expect(decodeIcmpMobility(got.icmp)).toMatchObject({ sequence: 7, careOfAddresses: ['127.0.0.1'] });
      expect(isMobilityAdvertisement(encodeAgentSolicitation())).toBe(false);
      expect(e.sendFailures).toBe(0);
    } finally {
      e.close();
    }
  });

  it('without CAP_NET_RAW: "raw ICMP sockets need root or CAP_NET_RAW", the access point refuses to start', () => {
    const script = `
      import { IcmpEndpoint } from './src/pmip/runtime/icmp.ts';
      import { AccessPoint } from './src/pmip/proxy/access-point.ts';
      import { LocalSecurityAssociations } from './src/pmip/security/store.ts';
      import { SubnetMapTable } from './src/pmip/subnet-map/table.ts';
      import { realScheduler } from './src/pmip/runtime/scheduler.ts';
      import { seededRandom } from './src/pmip/wire/identification.ts';
      try { IcmpEndpoint.open({ address: '127.0.0.1', onMessage() {} }); console.log('opened'); }
      catch (e) { console.log(e.name + ': ' + e.reason + ': ' + e.message); }
      const config = { id: 'ap-x', address: '127.0.0.1', subnet: '127.0.0.0/8', ssids: [{ name: 'c', pmip: true }],
        aaps: [], subnetMapExchange: false, localBindings: 1 };
      const deps = { scheduler: realScheduler, random: seededRandom(1), emit() {}, dataPlane: { apply() {} },
        securityAssociations: new LocalSecurityAssociations(), subnetMap: new SubnetMapTable() };
      for (const discoveryTransport of ['icmp', 'udp']) {
        try { const ap = await AccessPoint.start({ ...config, discoveryTransport }, deps); console.log(discoveryTransport + ' started'); await ap.stop(); }
        catch (e) { console.log(discoveryTransport + ' refused: ' + e.message); }
      }`;
    const r = spawnSync(
      'setpriv',
      [
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        '--inh-caps=-all',
        process.execPath,
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        script,
      ],
      { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, HOME: '/tmp' } },
    );
    expect(r.stdout.trim().split('\n')).toEqual([
      'IcmpUnavailableError: not-permitted: raw ICMP sockets need root or CAP_NET_RAW',
      'icmp refused: raw ICMP sockets need root or CAP_NET_RAW',
      'udp started',
    ]);
    expect(new IcmpUnavailableError('not-built', 'x').reason).toBe('not-built');
  });
});
