import { eventEmitter, type EventBody } from '../event-bus.ts';
import type { EventSink, NodeKind, RegistrationKind, SocketRole } from '../events.ts';
import type { DataPlane } from '../runtime/data-plane.ts';
import type { Scheduler } from '../runtime/scheduler.ts';
import type { BindDatagramSocket, Peer } from '../runtime/udp.ts';
import type { RandomSource } from '../wire/identification.ts';
import { ipv4ToUint32, prefixLengthOf, prefixMask, uint32ToIpv4 } from '../wire/ipv4.ts';
import { isWireError } from '../wire/errors.ts';
import { lenientDecodes, type Extension } from '../wire/extensions.ts';
import { LIFETIME_INFINITE, type RegistrationRequest } from '../wire/registration.ts';

/**
 * Pieces shared by the home agent, the foreign agent and the advertiser: injected dependencies,
 * event stamping, subnet arithmetic and the error-kind mapping for malformed datagrams.
 */
export interface AgentDeps {
  scheduler: Scheduler;
  random: RandomSource;
  emit: EventSink;
  /** Where ARP and tunnel actions go; a SimulatedDataPlane when absent (home agent only). */
  dataPlane?: DataPlane;
  /**
   * How to bind a registration socket (default: a real UDP endpoint), as the AAP takes it: a test
   * about a decision may pass sockets that need no network.
   */
  bind?: BindDatagramSocket;
}

/** An event without the fields every event gets from its emitter (time, node, nodeKind). */
export type AgentEventBody = EventBody;
export type AgentEmitter = (event: AgentEventBody) => void;

/** Stamps events with the scheduler's time and the agent's identity (eventEmitter); a throwing sink never breaks the agent. */
export function agentEmitter(
  sink: EventSink,
  scheduler: Scheduler,
  node: string,
  nodeKind: NodeKind,
): AgentEmitter {
  return eventEmitter(sink, () => scheduler.now(), node, nodeKind);
}

/** Emits `malformed-datagram` for one bad datagram. */
export function reportMalformed(emit: AgentEmitter, socket: SocketRole, error: unknown, from: Peer): void {
  emit({ type: 'malformed-datagram', socket, errorKind: errorKindOf(error), peer: from.address });
}

/** Emits `lenient-decode` for each extension of a decoded datagram read in a lenient form. */
export function reportLenient(
  emit: AgentEmitter,
  socket: SocketRole,
  extensions: readonly Extension[],
  from: Peer,
): void {
  for (let i = lenientDecodes(extensions); i > 0; i--)
    emit({ type: 'lenient-decode', socket, what: 'ext47-short-form', peer: from.address });
}

/** The bounded label for a decoding failure: the WireError kind, else `handler-error`. */
export function errorKindOf(error: unknown): string {
  return isWireError(error) ? error.kind : 'handler-error';
}

/** A subnet as network + mask, both dotted quads. */
export interface SubnetSpec {
  network: string;
  mask: string;
}

export interface ResolvedSubnet {
  network: string;
  mask: string;
  prefixLength: number;
  /** The directed broadcast address (network | ~mask). */
  broadcast: string;
}

/**
 * Resolves a subnet given as CIDR text (`10.1.0.0/24`), as {network, mask}, or as a prefix length
 * applied to `address`. Throws an Error naming `field` when the value is not a valid subnet.
 */
export function resolveSubnet(
  spec: string | SubnetSpec | number,
  address: string,
  field: string,
): ResolvedSubnet {
  let base: number;
  let prefixLength: number;
  if (typeof spec === 'number') {
    if (!Number.isInteger(spec) || spec < 0 || spec > 32)
      throw new Error(`${field}: prefix length ${spec} must be an integer from 0 to 32`);
    prefixLength = spec;
    base = ipv4ToUint32(address, field);
  } else if (typeof spec === 'string') {
    const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})$/.exec(spec);
    if (!m || Number(m[2]) > 32) throw new Error(`${field}: "${spec}" must be CIDR a.b.c.d/N`);
    base = ipv4ToUint32(m[1]!, field);
    prefixLength = Number(m[2]);
  } else {
    base = ipv4ToUint32(spec.network, `${field}.network`);
    prefixLength = prefixLengthOf(ipv4ToUint32(spec.mask, `${field}.mask`));
    if (prefixLength < 0) throw new Error(`${field}.mask: ${spec.mask} is not contiguous`);
  }
  const mask = prefixMask(prefixLength);
  const network = (base & mask) >>> 0;
  return {
    network: uint32ToIpv4(network),
    mask: uint32ToIpv4(mask),
    prefixLength,
    broadcast: uint32ToIpv4((network | ~mask) >>> 0),
  };
}

/** Milliseconds until a lifetime ends, or undefined for the infinite lifetime (0xffff). */
export function lifetimeMs(lifetime: number): number | undefined {
  return lifetime === LIFETIME_INFINITE ? undefined : lifetime * 1000;
}

export function checkLifetime(value: number, field: string): void {
  if (!Number.isInteger(value) || value < 1 || value > LIFETIME_INFINITE)
    throw new Error(`${field}: ${value} must be an integer from 1 to 65535 seconds`);
}

export function peerKey(peer: Peer): string {
  return `${peer.address}:${peer.port}`;
}

/** A deregistration: lifetime 0, or the care-of address equal to the home address (RFC 5944 3.6.1.2). */
export function isDeregistration(req: RegistrationRequest): boolean {
  return req.lifetime === 0 || req.careOfAddress === req.homeAddress;
}

/** The kind of a request, given whether the agent already holds an entry for its home address. */
export function requestKind(req: RegistrationRequest, known: boolean): RegistrationKind {
  return isDeregistration(req) ? 'deregistration' : known ? 'renewal' : 'initial';
}
