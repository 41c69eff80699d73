import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';

/** Whether this process may bind `address:port` now (binds and closes a probe socket). */
export async function udpPortBindable(address: string, port: number): Promise<boolean> {
  const s = createSocket('udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(port, address, () => resolve());
    });
    return true;
  } catch {
    return false;
  } finally {
    await new Promise<void>((r) => {
      try {
        s.close(() => r());
      } catch {
        r(); // never bound: nothing to close
      }
    });
  }
}

export interface Peer {
  address: string;
  port: number;
}

export type DatagramHandler = (payload: Buffer, from: Peer) => void;

export interface UdpEndpointOptions {
  address: string;
  /** 0 picks a free port. */
  port: number;
  onDatagram: DatagramHandler;
  onHandlerError?: (error: unknown, from: Peer) => void;
  /** Enable sending to broadcast addresses. */
  broadcast?: boolean;
  /**
   * SO_RCVBUF to ask for (the kernel caps it at net.core.rmem_max): for sockets that take bursts,
   * such as an AAP answered by every AP at once. Default: the kernel's.
   */
  receiveBufferBytes?: number;
}

/**
 * The socket a node runs on, as the node sees it. UdpEndpoint is one; a test about a decision can
 * inject another (no real UDP), or wrap the real one (a cable it can unplug).
 */
export interface DatagramSocket {
  readonly address: string;
  readonly port: number;
  send(payload: Uint8Array, to: Peer): void;
  close(): Promise<void>;
}

/** How a node binds its sockets: injected (`bind` in its dependencies), a real UDP endpoint by default. */
export type BindDatagramSocket = (options: UdpEndpointOptions) => Promise<DatagramSocket>;

/** A real UDP socket (UdpEndpoint: handler exceptions reported, never thrown). */
export const bindUdp: BindDatagramSocket = (options) => UdpEndpoint.bind(options);

interface EndpointCounters {
  handlerErrors: number;
  sendErrors: number;
}

/**
 * A bound UDP socket at the edge of the engine. Codecs stay pure; this only moves bytes.
 * Handlers must not throw: any exception that escapes one (or `onHandlerError` itself) is caught
 * here, counted (`handlerErrors`) and reported through `onHandlerError`, so one bad datagram never
 * takes the socket, or the process, down. A send that throws at once (a bad port, a closed socket)
 * is counted (`sendErrors`) and reported as `false`, like a datagram lost on the way.
 */
export class UdpEndpoint {
  private constructor(
    private readonly socket: Socket,
    readonly address: string,
    readonly port: number,
    private readonly counters: EndpointCounters,
  ) {}

  /** Exceptions thrown by the datagram handler so far (each reported through onHandlerError). */
  get handlerErrors(): number {
    return this.counters.handlerErrors;
  }

  /** Sends that threw at once so far. */
  get sendErrors(): number {
    return this.counters.sendErrors;
  }

  static async bind(options: UdpEndpointOptions): Promise<UdpEndpoint> {
    const socket = createSocket({
      type: 'udp4',
      reuseAddr: false,
      ...(options.receiveBufferBytes !== undefined ? { recvBufferSize: options.receiveBufferBytes } : {}),
    });
    const counters: EndpointCounters = { handlerErrors: 0, sendErrors: 0 };
    socket.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
      const from = { address: rinfo.address, port: rinfo.port };
      try {
        options.onDatagram(msg, from);
      } catch (error) {
        counters.handlerErrors++;
        try {
          options.onHandlerError?.(error, from);
        } catch {
          // the reporter threw too: counted above, and it must not escape the socket either
        }
      }
    });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      socket.once('error', onError);
      socket.bind(options.port, options.address, () => {
        socket.off('error', onError);
        resolve();
      });
    });
    // After binding, socket errors (e.g. ICMP unreachable surfaced on send) must not crash the process.
    socket.on('error', () => undefined);
    if (options.broadcast) socket.setBroadcast(true);
    const bound = socket.address();
    return new UdpEndpoint(socket, bound.address, bound.port, counters);
  }

  /** Sends one datagram; false when it could not even be handed to the kernel (counted). */
  send(payload: Uint8Array, to: Peer): boolean {
    // No callback: Node then tries a synchronous send first (uv_udp_try_send), much cheaper;
    // a send error surfaces as an 'error' event, which bind() already absorbs.
    try {
      this.socket.send(payload, to.port, to.address);
      return true;
    } catch {
      this.counters.sendErrors++;
      return false;
    }
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}
