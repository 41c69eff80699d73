import { agentEmitter, type AgentEmitter } from '../agents/common.ts';
import type { EventSink } from '../events.ts';
import type { Scheduler } from '../runtime/scheduler.ts';
import type { BindDatagramSocket, Peer, UdpEndpointOptions } from '../runtime/udp.ts';
import type { RandomSource } from '../wire/identification.ts';
import { checkPort } from '../wire/checks.ts';
import { isIpv4 } from '../wire/ipv4.ts';
import { DEFAULT_MAX_DATAGRAM_BYTES, MAX_SENDER_ID_BYTES, MIN_MAX_DATAGRAM_BYTES } from './codec/index.ts';

/**
 * What the AP side and the AAP side of the subnet map protocol share: how a peer is configured,
 * the socket they run on (a real UDP endpoint unless a test injects a wrapper), and the checks of
 * their configuration (the receive pipeline: receiver.ts).
 */

/** An AAP as configured: its UDP endpoint, and an id used as its label in events and pages. */
export interface AapPeerConfig {
  /** Label in events and on the statistics pages (default `address:port`). */
  id?: string;
  address: string;
  port: number;
}

/** The socket a node runs on and how it is bound: the same injected `bind` as every node's. */
export { bindUdp, type BindDatagramSocket, type DatagramSocket } from '../runtime/udp.ts';

/** UdpEndpointOptions, receive buffer size included. */
export type DatagramSocketOptions = UdpEndpointOptions;

/** Receive buffers asked for by default: an AAP takes bursts from every AP, an AP whole tables. */
export const AAP_RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;
export const AP_RECEIVE_BUFFER_BYTES = 1024 * 1024;

/** Dependencies of both sides: time, randomness and the event sink are injected. */
export interface SubnetMapDeps {
  scheduler: Scheduler;
  random: RandomSource;
  emit: EventSink;
  /** How to bind the protocol socket (default: a real UDP endpoint). */
  bind?: BindDatagramSocket;
}

export function peerLabel(peer: AapPeerConfig): string {
  return peer.id ?? endpointName(peer);
}

/**
 * A node's endpoint as a receiver id, `address:port`: what a datagram to an AAP names when the
 * sender is not configured with the AAP's id (an AAP answers to its id and to this).
 */
export function endpointName(peer: Peer): string {
  return `${peer.address}:${peer.port}`;
}

export function samePeer(a: Peer, b: Peer): boolean {
  return a.address === b.address && a.port === b.port;
}

export function checkNodeId(id: string, field: string): void {
  const bytes = Buffer.byteLength(id, 'utf8');
  if (typeof id !== 'string' || bytes < 1 || bytes > MAX_SENDER_ID_BYTES)
    throw new Error(`${field}: must be 1-${MAX_SENDER_ID_BYTES} bytes of UTF-8`);
}

export function checkAddress(address: string, field: string): void {
  if (!isIpv4(address)) throw new Error(`${field}: "${address}" is not a dotted-quad IPv4 address`);
}

export function checkPortNumber(port: number, field: string): void {
  checkPort(port, field);
}

/** A node's own id, address and port (`<field>.id`, `.address`, `.port`). */
export function checkNode(node: { id: string; address: string; port: number }, field: string): void {
  checkNodeId(node.id, `${field}.id`);
  checkAddress(node.address, `${field}.address`);
  checkPortNumber(node.port, `${field}.port`);
}

/** Configured AAPs (`<field>[i].address`, `.port`, `.id`): the id is the AAP's name on the wire. */
export function checkPeers(peers: readonly AapPeerConfig[], field: string): void {
  peers.forEach((p, i) => {
    checkAddress(p.address, `${field}[${i}].address`);
    checkPortNumber(p.port, `${field}[${i}].port`);
    // The AAP's name on the wire (receiver id): its id, else its endpoint.
    checkNodeId(peerLabel(p), `${field}[${i}].id`);
  });
}

export function checkMaxDatagram(value: number | undefined, field: string): number {
  const v = value ?? DEFAULT_MAX_DATAGRAM_BYTES;
  if (!Number.isInteger(v) || v < MIN_MAX_DATAGRAM_BYTES || v > 65_507)
    throw new Error(`${field}: ${v} must be an integer from ${MIN_MAX_DATAGRAM_BYTES} to 65507`);
  return v;
}

export function checkDuration(value: number, field: string, min = 1): void {
  if (!Number.isFinite(value) || value < min)
    throw new Error(`${field}: ${value} must be a number >= ${min} (ms)`);
}

export function checkCount(value: number, field: string, min = 0, max = 100): void {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new Error(`${field}: ${value} must be an integer from ${min} to ${max}`);
}

/** The emitter of an AP or AAP: events stamped with the scheduler's time, nodeKind access-point. */
export function subnetMapEmitter(deps: SubnetMapDeps, id: string): AgentEmitter {
  return agentEmitter(deps.emit, deps.scheduler, id, 'access-point');
}
