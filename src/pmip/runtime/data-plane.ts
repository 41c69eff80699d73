/** One action the data plane is asked to take. */
export type DataPlaneAction =
  | { action: 'gratuitous-arp'; address: string; mac?: string }
  | { action: 'proxy-arp-start'; address: string }
  | { action: 'proxy-arp-stop'; address: string }
  | {
      action: 'tunnel-up';
      homeAddress: string;
      careOfAddress: string;
      encapsulation: 'ip-in-ip' | 'gre' | 'minimal';
    }
  | { action: 'tunnel-down'; homeAddress: string; careOfAddress: string }
  | { action: 'forward-to-foreign-agent'; clientMac: string; careOfAddress: string }
  | { action: 'forward-locally'; clientMac: string };

/**
 * The data plane (ARP, tunnels, forwarding) is not ours to run in this project: it is an adapter
 * that HA, FA and AP call at the moments the RFC names. The simulated default records actions so
 * tests and the demo can see them; a real deployment plugs in one that talks to the platform.
 */
export interface DataPlane {
  apply(action: DataPlaneAction): void;
}

/** Records every action (bounded), for tests and the demo. */
export class SimulatedDataPlane implements DataPlane {
  readonly actions: DataPlaneAction[] = [];
  constructor(private readonly limit = 10_000) {}

  apply(action: DataPlaneAction): void {
    if (this.actions.length >= this.limit) this.actions.shift();
    this.actions.push(action);
  }
}
