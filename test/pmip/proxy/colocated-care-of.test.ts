/**
 * No foreign agent: an access point with `colocatedCareOfAddress` registers its visitors straight
 * with the home agent, with its own address as the care-of address and the D flag set (RFC 5944
 * sections 3.1, 3.3). Real UDP on loopback, the lab's home agents, a fake clock.
 */
import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRegistration, type RegistrationRequest } from '../../../src/pmip/wire/index.ts';
import { stringify } from 'yaml';
import { parseSiteConfig } from '../../../src/config/load.ts';
import { HA, startLab, waitUntil, type Lab } from '../../support/lab-site.ts';

const AP_ADDRESS = '127.0.2.20';
const CLIENT = { mac: '02:00:00:00:0d:01', address: '127.0.1.77', ssid: 'corp' };

describe('an access point with no foreign agent (co-located care-of address)', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab({ staticForeignAgents: true });
  });
  afterAll(async () => {
    await lab.stop();
  });

  it('registers directly: accepted, and the binding care-of address is the access point', async () => {
    const ap = await lab.extraAccessPoint(
      { id: 'ap-direct', address: AP_ADDRESS, colocatedCareOfAddress: true },
      77,
    );
    try {
      ap.associate(CLIENT);
      await waitUntil(
        () =>
          lab.recorder
            .of('registration-outcome', 'ap-direct')
            .some((e) => e.client.address === CLIENT.address && e.outcome === 'accepted'),
        'the direct registration to be accepted',
      );
      const sent = lab.recorder
        .of('registration-sent', 'ap-direct')
        .find((e) => e.client.address === CLIENT.address)!;
      expect(sent.foreignAgent).toBeUndefined();
      expect(sent.careOfAddress).toBe(AP_ADDRESS);
      const binding = lab
        .ha('A')
        .bindings()
        .find((b) => b.homeAddress === CLIENT.address);
      expect(binding?.careOfAddress).toBe(AP_ADDRESS);
      expect(binding?.source.address).toBe(AP_ADDRESS);
      // Nothing went through a foreign agent.
      expect(lab.recorder.of('request-relayed').filter((e) => e.homeAddress === CLIENT.address)).toEqual([]);
      expect(ap.clientViews().find((c) => c.mac === CLIENT.mac)?.careOfAddress).toBe(AP_ADDRESS);
    } finally {
      await ap.stop();
    }
  });

  it('the request on the wire has D set, care-of = the access point, sent to the home agent', async () => {
    // A stand-in home agent port: the request is captured and decoded, never answered.
    const tap = createSocket('udp4');
    await new Promise<void>((r) => tap.bind(0, HA('A'), () => r()));
    const requests: Array<{ message: RegistrationRequest; from: string }> = [];
    tap.on('message', (m, rinfo) => {
      const msg = decodeRegistration(m);
      if (msg.type === 'registration-request') requests.push({ message: msg, from: rinfo.address });
    });
    const port = tap.address().port;
    const ap = await lab.extraAccessPoint(
      { id: 'ap-direct-2', address: '127.0.2.21', colocatedCareOfAddress: true, homeAgentPort: port },
      78,
    );
    try {
      ap.associate({ ...CLIENT, mac: '02:00:00:00:0d:02', address: '127.0.1.78' });
      await waitUntil(() => requests.length > 0, 'a request at the home agent');
      const { message, from } = requests[0]!;
      expect(from).toBe('127.0.2.21');
      expect(message.flags.D).toBe(true);
      expect(message.careOfAddress).toBe('127.0.2.21');
      expect(message.homeAgent).toBe(HA('A'));
      expect(message.homeAddress).toBe('127.0.1.78');
    } finally {
      await ap.stop();
      tap.close();
    }
  });

  it('the configuration refuses a co-located care-of address together with a static foreign agent', () => {
    const site = {
      accessPoints: [
        {
          id: 'ap-1',
          address: '10.1.0.10',
          subnet: '10.1.0.0/24',
          ssids: [{ name: 'corp' }],
          colocatedCareOfAddress: true,
          foreignAgent: { address: '10.1.0.2' },
        },
      ],
      securityAssociations: {
        local: [{ address: '10.2.0.5', spi: 256, key: '00112233445566778899aabbccddeeff' }],
      },
      subnetMap: [{ homeAgent: '10.2.0.1', mask: '255.255.255.0' }],
    };
    expect(() => parseSiteConfig(stringify(site))).toThrow(
      /accessPoints\[0\]\.colocatedCareOfAddress: must not be combined with foreignAgent/,
    );
    const ok = structuredClone(site);
    delete (ok.accessPoints[0] as Partial<(typeof site.accessPoints)[0]>).foreignAgent;
    expect(parseSiteConfig(stringify(ok)).accessPoints[0]!.colocatedCareOfAddress).toBe(true);
  });
});
