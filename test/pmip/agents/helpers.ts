import { UdpEndpoint, type Peer } from '../../../src/pmip/runtime/udp.ts';
import type { PmipEvent, PmipEventType } from '../../../src/pmip/events.ts';
import {
  NTP_UNIX_OFFSET_SECONDS,
  decodeRegistrationLayout,
  encodeRegistration,
  makeIdentification,
  requestFlags,
  type Authentication,
  type DecodedRegistration,
  type RegistrationReply,
  type RegistrationRequest,
  type RequestFlags,
} from '../../../src/pmip/wire/index.ts';

/** Shared helpers for the agent tests: a plain UDP endpoint with an inbox, and an event recorder. */
export interface Datagram {
  payload: Buffer;
  from: Peer;
}

export class Inbox {
  readonly received: Datagram[] = [];
  private waiters: Array<() => void> = [];
  private taken = 0;
  private constructor(readonly endpoint: UdpEndpoint) {}

  static async bind(address: string): Promise<Inbox> {
    const holder: { inbox?: Inbox; early: Datagram[] } = { early: [] };
    const endpoint = await UdpEndpoint.bind({
      address,
      port: 0,
      onDatagram: (payload, from) => {
        if (holder.inbox) holder.inbox.push({ payload, from });
        else holder.early.push({ payload, from });
      },
    });
    const inbox = new Inbox(endpoint);
    holder.inbox = inbox;
    for (const d of holder.early) inbox.push(d);
    return inbox;
  }

  get peer(): Peer {
    return { address: this.endpoint.address, port: this.endpoint.port };
  }

  send(bytes: Uint8Array, to: Peer): void {
    this.endpoint.send(bytes, to);
  }

  private push(d: Datagram): void {
    this.received.push(d);
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** The next datagram not yet taken, waiting up to `timeoutMs` (real time) for it. */
  async next(timeoutMs = 2000): Promise<Datagram> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length <= this.taken) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no datagram within ${timeoutMs} ms on ${this.endpoint.address}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.received[this.taken++]!;
  }

  /** The next datagram decoded as a Registration Reply. */
  async nextReply(
    timeoutMs = 2000,
  ): Promise<{ reply: RegistrationReply; decoded: DecodedRegistration; from: Peer }> {
    const d = await this.next(timeoutMs);
    const decoded = decodeRegistrationLayout(d.payload);
    if (decoded.message.type !== 'registration-reply') throw new Error('expected a registration reply');
    return { reply: decoded.message, decoded, from: d.from };
  }

  /** Asserts silence: resolves to the number of datagrams that arrived in `ms` (real time). */
  async quietFor(ms = 150): Promise<number> {
    const before = this.received.length;
    await sleep(ms);
    return this.received.length - before;
  }

  close(): Promise<void> {
    return this.endpoint.close();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The events whose `type` can be T (BindingEvent and VisitorEvent each carry several types). */
export type EventOf<T extends PmipEventType> = PmipEvent extends infer E
  ? E extends { type: infer U }
    ? T extends U
      ? E
      : never
    : never
  : never;

export class EventLog {
  readonly events: PmipEvent[] = [];
  readonly emit = (e: PmipEvent): void => {
    this.events.push(e);
  };

  of<T extends PmipEventType>(type: T): Array<EventOf<T>> {
    return this.events.filter((e): e is EventOf<T> => e.type === type);
  }

  types(): PmipEventType[] {
    return this.events.map((e) => e.type);
  }

  clear(): void {
    this.events.length = 0;
  }

  /** Waits (real time) until an event of `type` has been recorded; returns the latest one. */
  async waitFor<T extends PmipEventType>(type: T, count = 1, timeoutMs = 2000): Promise<EventOf<T>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.of(type);
      if (found.length >= count) return found[found.length - 1]!;
      if (Date.now() > deadline) throw new Error(`no ${type} event within ${timeoutMs} ms`);
      await sleep(5);
    }
  }
}

/** A timestamp-mode identification: `unixMs` in the high 32 bits (seconds), `low` below. */
export function timestampId(unixMs: number, low: number): bigint {
  return makeIdentification(Math.floor(unixMs / 1000) + NTP_UNIX_OFFSET_SECONDS, low);
}

export function ntpSeconds(unixMs: number): number {
  return Math.floor(unixMs / 1000) + NTP_UNIX_OFFSET_SECONDS;
}

export interface RequestFields {
  homeAddress: string;
  homeAgent: string;
  careOfAddress: string;
  lifetime: number;
  identification: bigint;
  flags?: Partial<RequestFlags>;
}

export function request(fields: RequestFields): RegistrationRequest {
  return {
    type: 'registration-request',
    flags: requestFlags(fields.flags ?? {}),
    lifetime: fields.lifetime,
    homeAddress: fields.homeAddress,
    homeAgent: fields.homeAgent,
    careOfAddress: fields.careOfAddress,
    identification: fields.identification,
    extensions: [],
  };
}

export function encodeRequest(fields: RequestFields, auth?: Authentication): Buffer {
  return encodeRegistration(request(fields), auth);
}
