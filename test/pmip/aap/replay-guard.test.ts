import { describe, expect, it } from 'vitest';
import { ReplayGuard } from '../../../src/pmip/aap/replay-guard.ts';
import { AapSender } from '../../../src/pmip/aap/sender.ts';
import { FakeScheduler } from '../../../src/pmip/runtime/scheduler.ts';

describe('replay guard', () => {
  it('accepts each sequence number once per epoch, tolerates reordering within 64, and follows restarts', () => {
    const g = new ReplayGuard();
    expect(g.accept('ap-1', 100, 1)).toBe(true);
    expect(g.accept('ap-1', 100, 1)).toBe(false); // replay
    expect(g.accept('ap-1', 100, 5)).toBe(true);
    expect(g.accept('ap-1', 100, 3)).toBe(true); // late, not seen
    expect(g.accept('ap-1', 100, 3)).toBe(false);
    expect(g.accept('ap-1', 100, 200)).toBe(true);
    expect(g.accept('ap-1', 100, 137)).toBe(true); // 63 behind
    expect(g.accept('ap-1', 100, 136)).toBe(false); // 64 behind: outside the window
    expect(g.accept('ap-1', 99, 1000)).toBe(false); // an older epoch
    expect(g.accept('ap-1', 101, 1)).toBe(true); // restarted
    expect(g.accept('ap-1', 100, 201)).toBe(false);
    expect(g.accept('ap-2', 100, 1)).toBe(true); // per sender
    expect(g.size).toBe(2);
    // Per (sender, receiver named): one pair's numbers do not touch another pair's window.
    expect(g.accept('ap-1', 101, 1, 'aap-2')).toBe(true);
    expect(g.accept('ap-1', 101, 1, 'aap-2')).toBe(false);
    expect(g.accept('ap-1', 101, 2, 'aap-2')).toBe(true);
    expect(g.accept('ap-1', 101, 2)).toBe(true);
    expect(g.size).toBe(3);
  });

  it('starts a window at the first datagram heard: nothing below it is accepted (it may be a replay)', () => {
    const g = new ReplayGuard();
    expect(g.accept('ap-1', 100, 50, 'aap-1')).toBe(true); // first heard, e.g. after this node restarted
    expect(g.accept('ap-1', 100, 49, 'aap-1')).toBe(false);
    expect(g.accept('ap-1', 100, 1, 'aap-1')).toBe(false);
    expect(g.accept('ap-1', 100, 52, 'aap-1')).toBe(true);
    expect(g.accept('ap-1', 100, 51, 'aap-1')).toBe(true); // reordered after the first: fine
    expect(g.accept('ap-1', 101, 7, 'aap-1')).toBe(true); // the sender restarted
    expect(g.accept('ap-1', 101, 6, 'aap-1')).toBe(false);
  });

  it('numbers datagrams per receiver: each receiver sees 1, 2, 3 ... whatever goes to others', () => {
    const sender = new AapSender('aap-codec-test', new FakeScheduler(1_000));
    const to = (r: string): [string, number] => {
      const h = sender.next(r);
      expect(h.senderId).toBe('aap-codec-test');
      expect(h.epoch).toBe(sender.epoch);
      return [h.receiverId, h.sequence];
    };
    expect([to('ap-1'), to('ap-1'), to('ap-2'), to('ap-1'), to('ap-2')]).toEqual([
      ['ap-1', 1],
      ['ap-1', 2],
      ['ap-2', 1],
      ['ap-1', 3],
      ['ap-2', 2],
    ]);
  });
});
