/**
 * Which home agent an access point reports to its AAP (the row handed to every access point),
 * learnt from H-flag advertisements on its own subnet. One forged advertisement must not move
 * that row: the first home agent heard is kept while it keeps advertising; another takes over
 * only once the learnt one has been silent for its advertisement lifetime, and after two
 * advertisements of its own (the rule the access point applies to foreign agents;
 * docs/security.md). Pure: times come with the advertisements.
 */
export interface HomeAgentAdvertisement {
  agent: string;
  /** ms since epoch. */
  time: number;
  /** The advertisement's registration lifetime, seconds. */
  registrationLifetime: number;
}

export type LearningVerdict =
  | { kind: 'learnt'; homeAgent: string }
  | { kind: 'kept'; homeAgent: string }
  | { kind: 'refused'; homeAgent: string; advertised: string }
  | { kind: 'pending'; advertised: string };

export class HomeAgentLearner {
  private learnt: { address: string; lastHeard: number; lifetimeMs: number } | undefined;
  private readonly candidates = new Map<string, number>();

  get homeAgent(): string | undefined {
    return this.learnt?.address;
  }

  observe(a: HomeAgentAdvertisement): LearningVerdict {
    const lifetimeMs = Math.max(1, a.registrationLifetime) * 1000;
    const current = this.learnt;
    if (current?.address === a.agent) {
      current.lastHeard = a.time;
      current.lifetimeMs = lifetimeMs;
      return { kind: 'kept', homeAgent: a.agent };
    }
    if (current && a.time - current.lastHeard < current.lifetimeMs)
      return { kind: 'refused', homeAgent: current.address, advertised: a.agent };
    const heard = (this.candidates.get(a.agent) ?? 0) + 1;
    // Bounded: at most the agents heard since the learnt one went silent, cleared on a switch.
    if (this.candidates.size < 256 || this.candidates.has(a.agent)) this.candidates.set(a.agent, heard);
    if (current && heard < 2) return { kind: 'pending', advertised: a.agent };
    this.candidates.clear();
    this.learnt = { address: a.agent, lastHeard: a.time, lifetimeMs };
    return { kind: 'learnt', homeAgent: a.agent };
  }
}
