import { describe, expect, it } from 'vitest';
import { EventBus, eventEmitter, stampEvent } from '../../src/pmip/event-bus.ts';
import type { PmipEvent } from '../../src/pmip/events.ts';

describe('event stamping and the bus', () => {
  it("stamps a body with the emitter's clock reading and identity, the body's fields kept", () => {
    const e = stampEvent({ type: 'solicitation-sent' }, 1234, 'ap-lab', 'access-point');
    expect(e).toEqual({ type: 'solicitation-sent', time: 1234, node: 'ap-lab', nodeKind: 'access-point' });
    const d = stampEvent({ type: 'reply-dropped', reason: 'poorly-formed' }, 99, 'fa-east', 'foreign-agent');
    expect(d).toEqual({
      type: 'reply-dropped',
      reason: 'poorly-formed',
      time: 99,
      node: 'fa-east',
      nodeKind: 'foreign-agent',
    });
  });

  it('an emitter reads the clock for every event and survives a throwing sink', () => {
    const seen: PmipEvent[] = [];
    let now = 10;
    let fail = false;
    const emit = eventEmitter(
      (e) => {
        if (fail) throw new Error('sink broke');
        seen.push(e);
      },
      () => now,
      'ha-north',
      'home-agent',
    );
    emit({ type: 'advertisement-sent', sequence: 1 });
    now = 20;
    fail = true;
    expect(() => emit({ type: 'advertisement-sent', sequence: 2 })).not.toThrow();
    fail = false;
    emit({ type: 'advertisement-sent', sequence: 3 });
    expect(seen.map((e) => [e.time, (e as { sequence: number }).sequence, e.node, e.nodeKind])).toEqual([
      [10, 1, 'ha-north', 'home-agent'],
      [20, 3, 'ha-north', 'home-agent'],
    ]);
  });

  it('fans out in order, counts a throwing subscriber, and unsubscribes', () => {
    const bus = new EventBus();
    const a: number[] = [];
    const b: number[] = [];
    const offA = bus.subscribe((e) => a.push(e.time));
    bus.subscribe(() => {
      throw new Error('bad subscriber');
    });
    bus.subscribe((e) => b.push(e.time));
    const emit = eventEmitter(bus.emit, () => 5, 'ap-lab', 'access-point');
    emit({ type: 'solicitation-sent' });
    offA();
    bus.emit(stampEvent({ type: 'solicitation-sent' }, 6, 'ap-lab', 'access-point'));
    expect(a).toEqual([5]);
    expect(b).toEqual([5, 6]);
    expect(bus.subscriberFailures).toBe(2);
  });
});
