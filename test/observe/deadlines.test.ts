import { describe, expect, it } from 'vitest';
import { DeadlineQueue } from '../../src/observe/deadlines.ts';

describe('DeadlineQueue', () => {
  it('gives entries back first in, first out, across wrap-arounds and growth', () => {
    const q = new DeadlineQueue<string>();
    const expected: Array<[number, string, number]> = [];
    let next = 0;
    let taken = 0;
    // Push more than the initial ring holds, drain part of it, push again: the ring wraps, then grows.
    for (let round = 0; round < 5; round++) {
      for (let k = 0; k < 1500; k++) {
        q.push(next * 10, `c${next}`, next + 1);
        expected.push([next * 10, `c${next}`, next + 1]);
        next++;
      }
      const upTo = expected[taken + 1000]![0];
      while (q.due(upTo)) {
        expect([q.firstTime(), q.firstItem(), q.firstSeq()]).toEqual(expected[taken]);
        q.shift();
        taken++;
      }
      expect(taken).toBe((round + 1) * 1001);
      expect(q.size).toBe(next - taken);
    }
  });

  it('is due only for entries at or before the time asked', () => {
    const q = new DeadlineQueue<number>();
    expect(q.due(Infinity)).toBe(false);
    q.push(100, 1, 1);
    expect(q.due(99)).toBe(false);
    expect(q.due(100)).toBe(true);
    q.shift();
    expect(q.size).toBe(0);
    q.shift(); // empty: nothing happens
    expect(q.size).toBe(0);
  });
});
