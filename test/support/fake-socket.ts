/**
 * A socket without UDP for tests about a node's decisions: records what is sent and lets the test
 * deliver datagrams; `fakeNetwork` hands them out through the injected `bind` nodes take.
 */
import type {
  BindDatagramSocket,
  DatagramSocket,
  Peer,
  UdpEndpointOptions,
} from '../../src/pmip/runtime/udp.ts';

export class FakeSocket implements DatagramSocket {
  readonly sent: Array<{ bytes: Buffer; to: Peer }> = [];
  closed = 0;
  constructor(
    readonly options: UdpEndpointOptions,
    readonly port: number,
  ) {}
  get address(): string {
    return this.options.address;
  }
  send(payload: Uint8Array, to: Peer): void {
    this.sent.push({ bytes: Buffer.from(payload), to });
  }
  async close(): Promise<void> {
    this.closed++;
  }
  deliver(bytes: Buffer, from: Peer): void {
    this.options.onDatagram(bytes, from);
  }
}

/** Fake sockets handed out in bind order; bind number `failAt` (0-based) throws instead. */
export function fakeNetwork(failAt = Infinity): { bind: BindDatagramSocket; sockets: FakeSocket[] } {
  const sockets: FakeSocket[] = [];
  let calls = 0;
  const bind: BindDatagramSocket = async (options) => {
    if (calls++ === failAt) throw new Error(`bind ${options.address}:${options.port}: EADDRINUSE (fake)`);
    const s = new FakeSocket(options, options.port || 50_000 + sockets.length);
    sockets.push(s);
    return s;
  };
  return { bind, sockets };
}
