import { describe, expect, it } from 'vitest';
import { HomeAgentLearner } from '../../src/app/home-agent-learning.ts';

const T = Date.UTC(2026, 0, 1);
const ad = (agent: string, s: number, registrationLifetime = 30) => ({
  agent,
  time: T + s * 1000,
  registrationLifetime,
});

describe('the home agent an access point reports to its AAP', () => {
  it('learns the first home agent heard', () => {
    const l = new HomeAgentLearner();
    expect(l.observe(ad('10.1.0.1', 0))).toEqual({ kind: 'learnt', homeAgent: '10.1.0.1' });
    expect(l.homeAgent).toBe('10.1.0.1');
  });

  it('keeps it against forged advertisements while it keeps advertising', () => {
    const l = new HomeAgentLearner();
    l.observe(ad('10.1.0.1', 0));
    for (let s = 1; s < 100; s++) {
      expect(l.observe(ad('10.1.0.66', s)).kind).toBe('refused');
      if (s % 10 === 0) l.observe(ad('10.1.0.1', s));
    }
    expect(l.homeAgent).toBe('10.1.0.1');
  });

  it('moves to another only after the learnt one fell silent for its lifetime, on its second advertisement', () => {
    const l = new HomeAgentLearner();
    l.observe(ad('10.1.0.1', 0, 30));
    expect(l.observe(ad('10.1.0.2', 29)).kind).toBe('refused');
    expect(l.observe(ad('10.1.0.2', 31))).toEqual({ kind: 'pending', advertised: '10.1.0.2' });
    expect(l.homeAgent).toBe('10.1.0.1');
    expect(l.observe(ad('10.1.0.2', 32))).toEqual({ kind: 'learnt', homeAgent: '10.1.0.2' });
    expect(l.homeAgent).toBe('10.1.0.2');
  });
});
