import { afterEach, describe, expect, it } from 'vitest';
import { FA, HA, settle, startLab, type Lab } from '../../support/lab-site.ts';

const CLIENT = { mac: '02:00:00:00:02:01', address: '127.0.1.60', ssid: 'corp' };

describe('access point timers over real UDP with a fake clock', () => {
  let lab: Lab;
  afterEach(async () => {
    await lab?.stop();
  });

  it('home agent silent: retransmits after 1, 2 and 4 s, times out, then succeeds once the home agent is back', async () => {
    lab = await startLab({ retryAfterFailureMs: 5000 });
    await lab.ha('A').stop();
    const t0 = lab.scheduler.now();
    lab.ap('B').associate(CLIENT);
    await lab.waitFor('registration-sent');
    const sends = () => lab.recorder.of('registration-sent', 'ap-B');
    // Step the clock a second at a time and record when each (re)transmission went out.
    const sentAt: number[] = [];
    for (let s = 0; s < 16; s++) {
      const before = sends().length;
      lab.scheduler.advance(1000);
      await settle(20);
      if (sends().length > before) sentAt.push((lab.scheduler.now() - t0) / 1000);
    }
    expect(sends().map((e) => e.retransmission)).toEqual([false, true, true, true]);
    expect(sentAt).toEqual([1, 3, 7]); // first retry after 1 s, then doubling: 2 s, 4 s
    const timeout = lab.recorder.of('registration-outcome', 'ap-B');
    expect(timeout).toEqual([
      expect.objectContaining({ kind: 'initial', outcome: 'timeout', homeAgent: HA('A'), transmissions: 4 }),
    ]);
    expect(timeout[0]!.time - t0).toBe(15_000); // the last wait is 8 s
    expect(lab.ap('B').client(CLIENT.mac)?.state).toBe('isolated');

    // The home agent comes back on the same address and port; the retry after 5 s succeeds.
    await lab.startHomeAgent('A');
    lab.scheduler.advance(5000);
    await lab.waitFor('reply-received', (e) => e.code === 0);
    // Sent when the 5 s back-off ran out, 20 s after the first send.
    expect(sends()[4]).toMatchObject({ retransmission: false, kind: 'initial' });
    expect(sends()[4]!.time - t0).toBe(20_000);
    expect(lab.ap('B').client(CLIENT.mac)?.state).toBe('registered');
    expect(
      lab
        .ha('A')
        .bindings()
        .map((b) => b.careOfAddress),
    ).toEqual([FA('B')]);
  });

  it('foreign agent allows less than asked: 69, a retry with its maximum, renewal timed by the granted lifetime', async () => {
    lab = await startLab({ staticForeignAgents: true, faMaxLifetime: { B: 30 }, lifetime: 600 });
    const t0 = lab.scheduler.now();
    lab.ap('B').associate(CLIENT);
    await lab.waitFor('reply-received', (e) => e.code === 0);
    expect(lab.recorder.of('reply-received', 'ap-B').map((e) => `${e.code}/${e.lifetime}`)).toEqual([
      '69/30',
      '0/30',
    ]);
    expect(lab.recorder.of('registration-sent', 'ap-B').map((e) => e.lifetime)).toEqual([600, 30]);
    expect(lab.ap('B').client(CLIENT.mac)?.expiresAt).toBe(t0 + 30_000);
    // Renewal at 0.8 x 30 s = 24 s after the send, not 0.8 x 600 s.
    lab.scheduler.advance(23_000);
    await settle();
    expect(lab.recorder.of('registration-sent', 'ap-B')).toHaveLength(2);
    lab.scheduler.advance(1000);
    const renewal = await lab.waitFor('registration-sent', (e) => e.kind === 'renewal');
    expect(renewal.time - t0).toBe(24_000);
    expect(renewal.lifetime).toBe(30);
    await lab.waitFor('reply-received', (e) => e.kind === 'renewal' && e.code === 0);
    // The limit is remembered for the foreign agent: the next client asks for 30 s at once.
    const next = { mac: '02:00:00:00:02:02', address: '127.0.1.61', ssid: 'corp' };
    lab.ap('B').associate(next);
    await lab.waitFor('reply-received', (e) => e.client.mac === next.mac && e.code === 0);
    expect(
      lab.recorder
        .of('reply-received', 'ap-B')
        .filter((e) => e.client.mac === next.mac)
        .map((e) => e.code),
    ).toEqual([0]);
    expect(
      lab.recorder
        .of('registration-sent', 'ap-B')
        .filter((e) => e.client.mac === next.mac)
        .map((e) => e.lifetime),
    ).toEqual([30]);
  });

  it('learns the maximum lifetime from the advertisement and asks for no more', async () => {
    lab = await startLab({ faMaxLifetime: { B: 45 } });
    lab.ap('B').associate(CLIENT);
    const accepted = await lab.waitFor('reply-received', (e) => e.code === 0);
    expect(accepted.lifetime).toBe(45);
    expect(lab.recorder.of('registration-sent', 'ap-B').map((e) => e.lifetime)).toEqual([45]);
  });

  it('a rebooted foreign agent (sequence back below 256) makes the access point register its visitors again', async () => {
    lab = await startLab();
    lab.ap('B').associate(CLIENT);
    await lab.waitFor('reply-received', (e) => e.code === 0);
    // Advertisements every 10 s: sequence 0, 1, 2...
    for (let i = 0; i < 3; i++) lab.scheduler.advance(10_000);
    await settle();
    // The agent restarts on the same advertisement endpoint: a reboot is only believed from the
    // address and port the earlier advertisements came from.
    const advertisementPort = lab.fa('B').advertiser!.port;
    await lab.fa('B').stop();
    lab.foreignAgents.delete('B');
    const { ForeignAgent } = await import('../../../src/pmip/agents/foreign-agent.ts');
    const { seededRandom } = await import('../../../src/pmip/wire/identification.ts');
    const fa = await ForeignAgent.start(
      {
        id: 'fa-B',
        address: FA('B'),
        port: lab.port,
        maxLifetime: 600,
        homeAgentPort: lab.port,
        advertisements: {
          intervalMs: 10_000,
          port: advertisementPort,
          peers: [{ address: '127.0.2.10', port: lab.ap('B').ports.advertisement! }],
        },
      },
      { scheduler: lab.scheduler, random: seededRandom(9), emit: lab.recorder.emit },
    );
    lab.foreignAgents.set('B', fa);
    const reboot = await lab.waitFor('agent-reboot-detected');
    expect(reboot).toMatchObject({ node: 'ap-B', agent: FA('B'), previousSequence: 3, sequence: 0 });
    await lab.waitFor('reply-received', (e) => e.kind === 'renewal' && e.code === 0);
    expect(fa.visitors().map((v) => v.homeAddress)).toEqual([CLIENT.address]);
  });
});
