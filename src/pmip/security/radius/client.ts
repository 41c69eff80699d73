/**
 * The RADIUS client of the SA store: one Access-Request per lookup (RFC 2865 section 4.1) over
 * UDP, sent to the configured servers in order. Per server: `retries` retransmissions `timeoutMs`
 * apart with the same Identifier and Request Authenticator (RFC 5080 section 2.2.1); a server that
 * timed out is held down for `holdDownMs` and skipped meanwhile (the next one is tried, a
 * `radius-failover` event). Packet encoding, decoding and the Response Authenticator and
 * Message-Authenticator checks (RFC 2865 section 3, RFC 3579 section 3.2) come from the `radius`
 * package; the socket is node:dgram. Secrets and the password never appear in events or errors.
 */
import dgram from 'node:dgram';
import radius from 'radius';
import type { PmipEvent, RadiusExchangeResult } from '../../events.ts';
import type { Scheduler, TimerHandle } from '../../runtime/scheduler.ts';
import { SecurityAssociationUnavailable, type SecurityAssociationUnavailableCause } from '../store.ts';
import { AttributeError } from './attributes.ts';
import { checkAnswer } from './verify.ts';

export interface RadiusServer {
  /** Label value and display name: `address:port` unless configured. */
  name: string;
  address: string;
  port: number;
  secret: string;
}

export interface RadiusClientOptions {
  servers: RadiusServer[];
  password: string;
  timeoutMs: number;
  retries: number;
  holdDownMs: number;
  /** Send Message-Authenticator in requests (RFC 3579 section 3.2). */
  messageAuthenticator: boolean;
  scheduler: Scheduler;
  emit?: (e: PmipEvent) => void;
}

/** What an Access-Accept hands to the caller's interpretation of it. */
export interface AcceptedAnswer {
  server: RadiusServer;
  rawAttributes: Array<[number, Buffer]>;
  requestAuthenticator: Buffer;
}

type Exchange<T> =
  | { result: 'accept'; value: T; style?: 'cisco' | '3gpp2' }
  | { result: Exclude<RadiusExchangeResult, 'accept'>; detail: string };

interface Pending {
  server: RadiusServer;
  request: Buffer;
  onAnswer(msg: Buffer): void;
}

const CAUSE: Record<Exclude<RadiusExchangeResult, 'accept'>, SecurityAssociationUnavailableCause> = {
  reject: 'rejected',
  timeout: 'timeout',
  malformed: 'malformed',
  'bad-authenticator': 'bad-authenticator',
};

export class RadiusClient {
  private socket: dgram.Socket | undefined;
  private opening: Promise<dgram.Socket> | undefined;
  private readonly pending = new Map<string, Pending>();
  private readonly heldDownUntil = new Map<string, number>();
  private nextId = 0;
  private closed = false;

  constructor(private readonly o: RadiusClientOptions) {
    if (o.servers.length === 0) throw new Error('RadiusClient: at least one server');
  }

  get servers(): readonly RadiusServer[] {
    return this.o.servers;
  }

  /** Whether a server is held down now (a timeout less than holdDownMs ago). */
  heldDown(server: string, now = this.o.scheduler.now()): boolean {
    return (this.heldDownUntil.get(server) ?? 0) > now;
  }

  /**
   * Asks the servers in order for `userName` until one answers. `interpret` reads an
   * Access-Accept (it throws an AttributeError when the accept is unusable: a malformed answer).
   * Throws SecurityAssociationUnavailable when no server gave a usable accept.
   */
  async request<T extends { style?: 'cisco' | '3gpp2' }>(
    userName: string,
    requester: string,
    interpret: (a: AcceptedAnswer) => T,
  ): Promise<{ value: T; server: RadiusServer }> {
    const now = this.o.scheduler.now();
    const usable = this.o.servers.filter((s) => !this.heldDown(s.name, now));
    if (usable.length === 0) {
      const next = Math.min(...this.o.servers.map((s) => this.heldDownUntil.get(s.name) ?? now));
      throw new SecurityAssociationUnavailable(
        'timeout',
        this.o.servers[0]!.name,
        `no RADIUS server available: every server timed out recently (held down for ${Math.ceil((next - now) / 1000)} s more)`,
      );
    }
    let last:
      { server: RadiusServer; result: Exclude<RadiusExchangeResult, 'accept'>; detail: string } | undefined;
    for (let i = 0; i < usable.length; i++) {
      const server = usable[i]!;
      const answer = await this.exchange(server, userName, requester, interpret);
      if (answer.result === 'accept') return { value: answer.value, server };
      last = { server, result: answer.result, detail: answer.detail };
      // A reject and a malformed accept are the server's answer: asking another would not change it.
      if (answer.result === 'reject' || answer.result === 'malformed') break;
      if (answer.result === 'timeout')
        this.heldDownUntil.set(server.name, this.o.scheduler.now() + this.o.holdDownMs);
      const next = usable[i + 1];
      if (next) this.emit(requester, { type: 'radius-failover', from: server.name, to: next.name });
    }
    throw new SecurityAssociationUnavailable(
      CAUSE[last!.result],
      last!.server.name,
      `RADIUS server ${last!.server.name}: ${last!.detail}`,
    );
  }

  private emit(node: string, e: Record<string, unknown> & { type: PmipEvent['type'] }): void {
    this.o.emit?.({ ...e, time: this.o.scheduler.now(), node, nodeKind: 'access-point' } as PmipEvent);
  }

  private async open(): Promise<dgram.Socket> {
    if (this.socket) return this.socket;
    this.opening ??= new Promise((resolve, reject) => {
      const s = dgram.createSocket('udp4');
      s.once('error', reject);
      s.bind(0, () => {
        s.off('error', reject);
        s.on('error', () => {
          // A socket error (ICMP unreachable on some systems) ends nothing: the timers do.
        });
        s.on('message', (msg, rinfo) => {
          const key = `${rinfo.address}:${rinfo.port}/${msg.length >= 2 ? msg[1] : -1}`;
          this.pending.get(key)?.onAnswer(msg);
        });
        // An idle client socket keeps no process alive; an exchange in flight refs it.
        s.unref();
        this.socket = s;
        resolve(s);
      });
    });
    return this.opening;
  }

  private allocateId(server: RadiusServer): number | undefined {
    for (let n = 0; n < 256; n++) {
      const id = (this.nextId + n) & 0xff;
      if (!this.pending.has(`${server.address}:${server.port}/${id}`)) {
        this.nextId = (id + 1) & 0xff;
        return id;
      }
    }
    return undefined;
  }

  private async exchange<T extends { style?: 'cisco' | '3gpp2' }>(
    server: RadiusServer,
    userName: string,
    requester: string,
    interpret: (a: AcceptedAnswer) => T,
  ): Promise<Exchange<T>> {
    const finish = (x: Exchange<T>, transmissions: number, sentAt?: number): Exchange<T> => {
      this.emit(requester, {
        type: 'radius-exchange',
        server: server.name,
        result: x.result,
        transmissions,
        ...(x.result === 'accept' && x.style ? { attributeStyle: x.style } : {}),
        ...(sentAt !== undefined && x.result !== 'timeout'
          ? { roundTripSeconds: Math.max(0, this.o.scheduler.now() - sentAt) / 1000 }
          : {}),
        ...(x.result !== 'accept' && x.result !== 'reject' ? { detail: x.detail } : {}),
      });
      return x;
    };
    if (this.closed) return finish({ result: 'timeout', detail: 'the RADIUS client is stopped' }, 0);
    const socket = await this.open();
    const id = this.allocateId(server);
    if (id === undefined) return finish({ result: 'timeout', detail: '256 requests outstanding' }, 0);
    const request = radius.encode({
      code: 'Access-Request',
      secret: server.secret,
      identifier: id,
      attributes: [
        ['User-Name', userName],
        ['User-Password', this.o.password],
      ],
      add_message_authenticator: this.o.messageAuthenticator,
    });
    const requestAuthenticator = Buffer.from(request.subarray(4, 20));
    const key = `${server.address}:${server.port}/${id}`;

    return new Promise<Exchange<T>>((resolve) => {
      let transmissions = 0;
      let sentAt = 0;
      let timer: TimerHandle | undefined;
      let badAuthenticator: string | undefined;
      let done = false;
      const end = (x: Exchange<T>, rtt: boolean): void => {
        if (done) return;
        done = true;
        timer?.cancel();
        this.pending.delete(key);
        if (this.pending.size === 0) socket.unref();
        resolve(finish(x, transmissions, rtt ? sentAt : undefined));
      };
      const send = (): void => {
        if (this.closed) return end({ result: 'timeout', detail: 'the RADIUS client is stopped' }, false);
        transmissions++;
        sentAt = this.o.scheduler.now();
        socket.send(request, server.port, server.address, () => {
          // Send errors show as a timeout.
        });
        timer = this.o.scheduler.after(this.o.timeoutMs, () => {
          if (badAuthenticator !== undefined)
            return end({ result: 'bad-authenticator', detail: badAuthenticator }, true);
          if (transmissions <= this.o.retries) send();
          else
            end(
              {
                result: 'timeout',
                detail: `no answer after ${transmissions} ${transmissions === 1 ? 'try' : 'tries'} of ${this.o.timeoutMs} ms`,
              },
              false,
            );
        });
      };
      this.pending.set(key, {
        server,
        request,
        onAnswer: (msg) => {
          if (done) return;
          const check = checkAnswer(request, msg, server.secret);
          // An answer that fails the check may be forged: remember it, keep waiting for a good one.
          if (!check.ok) {
            badAuthenticator = check.problem;
            return;
          }
          let decoded: ReturnType<typeof radius.decode>;
          try {
            decoded = radius.decode({ packet: Buffer.from(msg), secret: server.secret });
          } catch {
            return end({ result: 'malformed', detail: 'the answer could not be decoded' }, true);
          }
          if (decoded.code === 'Access-Reject')
            return end({ result: 'reject', detail: 'Access-Reject' }, true);
          if (decoded.code !== 'Access-Accept')
            return end(
              { result: 'malformed', detail: `unexpected ${String(decoded.code).slice(0, 32)}` },
              true,
            );
          try {
            const value = interpret({
              server,
              rawAttributes: (decoded.raw_attributes as Array<[number, Buffer]>).map(([t, v]) => [
                t,
                Buffer.from(v),
              ]),
              requestAuthenticator,
            });
            end({ result: 'accept', value, ...(value.style ? { style: value.style } : {}) }, true);
          } catch (e) {
            if (e instanceof AttributeError) return end({ result: 'malformed', detail: e.message }, true);
            end({ result: 'malformed', detail: 'the Access-Accept could not be read' }, true);
          }
        },
      });
      // While an answer is awaited the socket keeps the process alive (a one-shot `sa lookup`).
      socket.ref();
      send();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const s = this.socket ?? (this.opening ? await this.opening.catch(() => undefined) : undefined);
    this.socket = undefined;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }
}
