import { createRequire } from 'node:module';
import { ipv4ToUint32 } from '../wire/ipv4.ts';

/** Why raw ICMP cannot be used here: no permission, the module not built, or another failure. */
export const ICMP_UNAVAILABLE_REASONS = ['not-permitted', 'not-built', 'failed'] as const;
export type IcmpUnavailableReason = (typeof ICMP_UNAVAILABLE_REASONS)[number];

export class IcmpUnavailableError extends Error {
  override readonly name = 'IcmpUnavailableError';
  constructor(
    readonly reason: IcmpUnavailableReason,
    message: string,
  ) {
    super(message);
  }
}

/** The part of raw-socket this module uses (the package ships no types). */
interface RawSocket {
  on(event: 'message', cb: (buffer: Buffer, source: string) => void): void;
  on(event: 'error', cb: (error: Error) => void): void;
  send(
    buffer: Buffer,
    offset: number,
    length: number,
    address: string,
    beforeCallback: (() => void) | null,
    afterCallback: (error: Error | null, bytes: number) => void,
  ): void;
  setOption(level: number, option: number, value: Buffer | number, length?: number): void;
  close(): void;
}
interface RawSocketModule {
  createSocket(options: { protocol: number; addressFamily?: number }): RawSocket;
  Protocol: { ICMP: number };
  AddressFamily: { IPv4: number };
  SocketLevel: { SOL_SOCKET: number; IPPROTO_IP: number };
  SocketOption: { SO_BROADCAST: number; IP_TTL: number };
}

/** Linux <netinet/in.h>: not exported by raw-socket, set by number. */
const IP_MULTICAST_IF = 32;
const IP_MULTICAST_TTL = 33;
const IP_ADD_MEMBERSHIP = 35;

let cached: RawSocketModule | undefined;

function loadRawSocket(): RawSocketModule {
  if (cached) return cached;
  try {
    cached = createRequire(import.meta.url)('raw-socket') as RawSocketModule;
    return cached;
  } catch (error) {
    throw new IcmpUnavailableError(
      'not-built',
      `raw-socket native module not built (${(error as Error).message.split('\n')[0]}); run npm ci with g++ and the Node headers installed, or use UDP discovery`,
    );
  }
}

export interface IcmpEndpointOptions {
  /** The local interface address: multicast and broadcast leave through its interface. */
  address: string;
  /** Every ICMP message the socket receives (IP header stripped), with its source address. */
  onMessage: (icmp: Buffer, from: string) => void;
  /**
   * Multicast groups to join on the interface of `address`: a raw socket hears multicast only for
   * groups the host is a member of (an agent joins 224.0.0.11, all mobility agents, to hear
   * solicitations; every host is already in 224.0.0.1).
   */
  joinGroups?: string[];
}

/**
 * Raw ICMP for agent discovery on a real interface (RFC 5944 section 2: agent advertisements are
 * ICMP router advertisements, type 9, with the mobility agent extension; solicitations are ICMP
 * router solicitations, type 10, RFC 1256). Built on the `raw-socket` native module, loaded
 * lazily so that a machine where it did not build still runs everything else (UDP discovery).
 *
 * A raw ICMP socket receives every ICMP message of the host (or network namespace): the caller
 * filters. Received IPv4 datagrams carry their IP header, which is stripped here.
 */
export class IcmpEndpoint {
  private closed = false;
  /** Send failures so far (a full queue or no route); never thrown. */
  sendFailures = 0;

  private constructor(private readonly socket: RawSocket) {}

  /** Opens a raw ICMP socket. Throws IcmpUnavailableError with a plain reason when it cannot. */
  static open(options: IcmpEndpointOptions): IcmpEndpoint {
    ipv4ToUint32(options.address, 'address');
    const raw = loadRawSocket();
    let socket: RawSocket;
    try {
      socket = raw.createSocket({ protocol: raw.Protocol.ICMP, addressFamily: raw.AddressFamily.IPv4 });
    } catch (error) {
      const text = (error as Error).message ?? '';
      if (/not permitted|EPERM|EACCES|permission/i.test(text))
        throw new IcmpUnavailableError('not-permitted', 'raw ICMP sockets need root or CAP_NET_RAW');
      throw new IcmpUnavailableError('failed', `raw ICMP socket: ${text}`);
    }
    const endpoint = new IcmpEndpoint(socket);
    const level = raw.SocketLevel.IPPROTO_IP;
    // Link-local discovery: TTL 1 (RFC 1256 section 5.1), out of the access point's interface.
    const inAddr = Buffer.alloc(4);
    inAddr.writeUInt32BE(ipv4ToUint32(options.address, 'address'));
    try {
      socket.setOption(raw.SocketLevel.SOL_SOCKET, raw.SocketOption.SO_BROADCAST, 1);
      socket.setOption(level, IP_MULTICAST_IF, inAddr, 4);
      socket.setOption(level, IP_MULTICAST_TTL, 1);
      socket.setOption(level, raw.SocketOption.IP_TTL, 1);
      for (const group of options.joinGroups ?? []) {
        // struct ip_mreq: the group, then the local interface address.
        const mreq = Buffer.alloc(8);
        mreq.writeUInt32BE(ipv4ToUint32(group, 'joinGroups'), 0);
        inAddr.copy(mreq, 4);
        socket.setOption(level, IP_ADD_MEMBERSHIP, mreq, 8);
      }
    } catch (error) {
      socket.close();
      throw new IcmpUnavailableError('failed', `raw ICMP socket options: ${(error as Error).message}`);
    }
    socket.on('message', (buffer, source) => {
      if (endpoint.closed || buffer.length < 20) return;
      const headerLength = (buffer[0]! & 0x0f) * 4;
      if (buffer.length <= headerLength) return;
      try {
        // raw-socket reuses one receive buffer for every message: hand out a copy.
        options.onMessage(Buffer.from(buffer.subarray(headerLength)), source);
      } catch {
        // A handler error never reaches the socket.
      }
    });
    socket.on('error', () => {
      endpoint.sendFailures++;
    });
    return endpoint;
  }

  /** Sends one ICMP message (its checksum already set) to `to`; failures are counted, not thrown. */
  send(icmp: Buffer, to: string): void {
    if (this.closed) return;
    try {
      this.socket.send(icmp, 0, icmp.length, to, null, (error) => {
        if (error) this.sendFailures++;
      });
    } catch {
      this.sendFailures++;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.close();
  }
}

/** Whether an ICMP message is a router advertisement that carries the mobility agent extension. */
export function isMobilityAdvertisement(icmp: Buffer): boolean {
  if (icmp.length < 8 || icmp[0] !== 9) return false;
  const base = 8 + icmp[4]! * icmp[5]! * 4;
  return icmp.length > base && icmp[base] === 16;
}

/** Whether an ICMP message is a router solicitation (type 10, code 0). */
export function isSolicitation(icmp: Buffer): boolean {
  return icmp.length >= 8 && icmp[0] === 10 && icmp[1] === 0;
}
