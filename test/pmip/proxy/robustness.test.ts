import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AP, FA, HA, settle, startLab, waitUntil, type Lab } from '../../support/lab-site.ts';
import { UdpEndpoint, type Peer } from '../../../src/pmip/runtime/udp.ts';
import { ForeignAgent } from '../../../src/pmip/agents/foreign-agent.ts';
import { decodeRegistration, seededRandom } from '../../../src/pmip/wire/index.ts';
import { TSHARK, runTshark, tsharkAvailable } from '../../support/tshark.ts';

/** Capturing on lo needs tshark and root (`npm test` installs tshark; the CI runs as root). */
const canCapture = tsharkAvailable() && process.getuid?.() === 0;
if (!canCapture)
  console.warn('robustness.test: the tshark capture test is SKIPPED: needs tshark and root to capture on lo');

const CLIENT = { mac: '02:00:00:00:03:01', address: '127.0.1.70', ssid: 'corp' };

describe('access point robustness over real UDP', () => {
  let lab: Lab;
  afterEach(async () => {
    await lab?.stop();
  });

  it('a replayed request is refused by the home agent with 133', async () => {
    lab = await startLab({ staticForeignAgents: true });
    // A relay between AP B and FA B that keeps a copy of every request it passes on.
    const captured: Buffer[] = [];
    let apPeer: Peer | undefined;
    const relay = await UdpEndpoint.bind({
      address: '127.0.2.3',
      port: 0,
      onDatagram: (payload, from) => {
        if (payload[0] === 1) {
          captured.push(Buffer.from(payload));
          apPeer = from;
          relay.send(payload, { address: FA('B'), port: lab.port });
        } else if (apPeer) relay.send(payload, apPeer);
      },
    });
    const ap = await lab.extraAccessPoint(
      {
        id: 'ap-replay',
        address: '127.0.2.11',
        foreignAgent: { address: '127.0.2.3', port: relay.port, careOfAddress: FA('B') },
      },
      1,
    );
    try {
      ap.associate(CLIENT);
      await lab.waitFor('reply-received', (e) => e.code === 0);
      expect(captured).toHaveLength(1);
      // An attacker re-sends the captured request through the foreign agent.
      const attacker = await UdpEndpoint.bind({
        address: '127.0.2.99',
        port: 0,
        onDatagram: () => undefined,
      });
      attacker.send(captured[0]!, { address: FA('B'), port: lab.port });
      const denied = await lab.waitFor('request-denied', (e) => e.node === 'ha-A');
      await attacker.close();
      expect(denied).toMatchObject({ code: 133, homeAddress: CLIENT.address });
      expect(decodeRegistration(captured[0]!)).toMatchObject({
        homeAddress: CLIENT.address,
        homeAgent: HA('A'),
      });
      // The binding made by the genuine request is untouched.
      expect(
        lab
          .ha('A')
          .bindings()
          .map((b) => b.careOfAddress),
      ).toEqual([FA('B')]);
    } finally {
      await ap.stop();
      await relay.close();
    }
  });

  it('garbage at every socket is counted and ignored; service continues', async () => {
    lab = await startLab();
    const junk = await UdpEndpoint.bind({ address: '127.0.9.9', port: 0, onDatagram: () => undefined });
    const targets: Peer[] = [
      { address: AP('B'), port: lab.ap('B').ports.registration },
      { address: AP('B'), port: lab.ap('B').ports.advertisement! },
      { address: FA('B'), port: lab.port },
      { address: HA('A'), port: lab.port },
      { address: FA('B'), port: lab.fa('B').advertiser!.port },
    ];
    const random = seededRandom(42);
    const garbage = [
      Buffer.alloc(0),
      Buffer.from([1]),
      Buffer.from([3, 0, 0]),
      Buffer.from([9, 0, 0, 0, 0, 0, 0, 0]),
      Buffer.from(Array.from({ length: 64 }, () => random.uint32() & 0xff)),
      Buffer.concat([Buffer.from([1, 0, 0, 10]), Buffer.alloc(20), Buffer.from([40, 2, 0, 0])]), // unknown non-skippable ext
    ];
    for (const t of targets) for (const g of garbage) junk.send(g, t);
    await waitUntil(
      () => lab.recorder.of('malformed-datagram').length >= targets.length * (garbage.length - 1),
      'malformed-datagram events',
    );
    await settle(100);
    await junk.close();
    const byNode = new Map<string, number>();
    for (const e of lab.recorder.of('malformed-datagram'))
      byNode.set(`${e.node}/${e.socket}`, (byNode.get(`${e.node}/${e.socket}`) ?? 0) + 1);
    expect(byNode.get('ap-B/registration')).toBeGreaterThanOrEqual(garbage.length - 1);
    expect(byNode.get('ap-B/advertisement')).toBeGreaterThanOrEqual(garbage.length - 1);
    expect(byNode.get('fa-B/registration')).toBeGreaterThanOrEqual(garbage.length - 1);
    expect(byNode.get('ha-A/registration')).toBeGreaterThanOrEqual(garbage.length - 1);
    expect(byNode.get('fa-B/advertisement')).toBeGreaterThanOrEqual(garbage.length - 1);
    // Everybody still works.
    lab.ap('B').associate(CLIENT);
    await lab.waitFor('reply-received', (e) => e.code === 0);
    expect(lab.ha('A').bindings()).toHaveLength(1);
  });

  it('with no foreign agent known, the access point solicits one and registers once it answers', async () => {
    lab = await startLab({ staticForeignAgents: true });
    const fa = await ForeignAgent.start(
      {
        id: 'fa-quiet',
        address: '127.0.2.4',
        port: lab.port,
        maxLifetime: 300,
        homeAgentPort: lab.port,
        advertisements: { intervalMs: 0 },
      },
      { scheduler: lab.scheduler, random: seededRandom(3), emit: lab.recorder.emit },
    );
    const ap = await lab.extraAccessPoint(
      {
        id: 'ap-solicit',
        address: '127.0.2.12',
        solicitTo: [{ address: '127.0.2.4', port: fa.advertiser!.port }],
      },
      4,
    );
    try {
      ap.associate(CLIENT);
      await lab.waitFor('solicitation-sent');
      await lab.waitFor('advertisement-received', (e) => e.node === 'ap-solicit');
      lab.scheduler.advance(1000); // the waiting client's next attempt
      const accepted = await lab.waitFor('reply-received', (e) => e.node === 'ap-solicit' && e.code === 0);
      expect(accepted.lifetime).toBe(300);
      expect(fa.visitors().map((v) => v.homeAddress)).toEqual([CLIENT.address]);
    } finally {
      await ap.stop();
      await fa.stop();
    }
  });

  it.skipIf(!canCapture)(
    'a capture of one roaming scenario on loopback dissects in tshark with no errors',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'pmip-capture-'));
      try {
        lab = await startLab();
        const file = join(dir, 'roaming.pcap');
        const tshark = spawn(TSHARK, ['-i', 'lo', '-f', `udp port ${lab.port}`, '-F', 'pcap', '-w', file], {
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        tshark.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        await waitUntil(() => stderr.includes('Capturing on'), 'tshark to start capturing', 10_000);
        await settle(1000); // dumpcap announces itself a moment before the capture is live
        lab.ap('B').associate(CLIENT);
        await lab.waitFor('reply-received', (e) => e.code === 0);
        lab.scheduler.advance(60_000);
        lab.ap('B').disassociate(CLIENT.mac);
        lab.ap('C').associate(CLIENT);
        await lab.waitFor('reply-received', (e) => e.node === 'ap-C' && e.code === 0);
        lab.scheduler.advance(60_000);
        lab.ap('C').disassociate(CLIENT.mac);
        lab.ap('A').associate(CLIENT);
        await lab.waitFor('reply-received', (e) => e.node === 'ap-A' && e.code === 0);
        await settle(1000);
        const exited = new Promise<void>((r) => tshark.once('exit', () => r()));
        tshark.kill('SIGINT');
        await exited;

        const port = String(lab.port);
        const fields = runTshark([
          '-r',
          file,
          '-d',
          `udp.port==${port},mip`,
          '-T',
          'fields',
          '-e',
          'mip.type',
          '-e',
          'mip.code',
          '-e',
          'mip.homeaddr',
          '-e',
          'mip.coa',
        ]);
        const rows = fields
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => l.split('\t'));
        // 3 registrations: AP->FA, FA->HA, HA->FA, FA->AP for the two foreign ones; AP->HA, HA->AP for the deregistration.
        expect(rows.filter((r) => r[0] === '1')).toHaveLength(5);
        expect(rows.filter((r) => r[0] === '3')).toHaveLength(5);
        expect(rows.every((r) => r[2] === CLIENT.address)).toBe(true);
        expect(rows.filter((r) => r[0] === '1').map((r) => r[3])).toEqual([
          FA('B'),
          FA('B'),
          FA('C'),
          FA('C'),
          CLIENT.address,
        ]);
        const bad = runTshark([
          '-r',
          file,
          '-d',
          `udp.port==${port},mip`,
          '-Y',
          '_ws.malformed || _ws.expert.severity >= warning',
        ]);
        expect(bad.trim()).toBe('');
      } finally {
        if (!process.env.KEEP_CAPTURE) rmSync(dir, { recursive: true, force: true });
        else console.log(dir);
      }
    },
  );
});
