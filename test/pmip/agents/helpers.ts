import { afterEach } from 'vitest';
import { UdpEndpoint, type Peer } from '../../../src/pmip/runtime/udp.ts';
import type { PmipEventType } from '../../../src/pmip/events.ts';
import {
  NTP_UNIX_OFFSET_SECONDS,
  decodeRegistrationLayout,
  encodeRegistration,
  makeIdentification,
  replyCode,
  requestFlags,
  type Authentication,
  type DecodedRegistration,
  type RegistrationReply,
  type RegistrationRequest,
  type RequestFlags,
} from '../../../src/pmip/wire/index.ts';
import { EventRecorder as EventLog, type EventOf } from '../../support/event-recorder.ts';

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

/** A test's key: its hex text, the bytes, and a Mobile-Home authentication with `spi` (keyed MD5). */
export function testKey(hex: string, spi: number) {
  const key = Buffer.from(hex, 'hex');
  return { hex, key, auth: { spi, key, algorithm: 'prefix-suffix' as const } };
}

/** Something a test opened: an agent (stop) or an endpoint (close). */
export type Closable = { stop(): Promise<void> } | { close(): Promise<void> };

/** Registers an afterEach that closes what the file's tests pushed (`open.push(x)`), newest last. */
export function closeAfterEach(): { push(...items: Closable[]): void } {
  const open: Closable[] = [];
  afterEach(async () => {
    for (const o of open.splice(0)) await ('stop' in o ? o.stop() : o.close());
  });
  return { push: (...items) => void open.push(...items) };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export { EventLog, type EventOf };

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

/** Anything that hands out the recorded events of one type (EventLog, the lab recorder). */
export interface RecordedEvents {
  of<T extends PmipEventType>(type: T): Array<EventOf<T>>;
}

function byCode(events: ReadonlyArray<{ code: number }>): Record<number, number> {
  const out: Record<number, number> = {};
  for (const e of events) out[e.code] = (out[e.code] ?? 0) + 1;
  return out;
}

/**
 * A home agent's figures counted from its recorded events (the agents keep no counters of their
 * own: the events are the one count, as in the collector).
 */
export function homeAgentCounts(log: RecordedEvents) {
  const ha = <T extends { nodeKind: string }>(events: T[]): T[] =>
    events.filter((e) => e.nodeKind === 'home-agent');
  const replies = ha(log.of('reply-sent'));
  const arps = ha(log.of('arp-sent'));
  const received = ha(log.of('request-received'));
  return {
    requestsReceived: received.length,
    deregistrationsReceived: received.filter((e) => e.kind === 'deregistration').length,
    repliesSent: replies.length,
    accepted: replies.filter((e) => replyCode(e.code).accepted).length,
    denied: replies.filter((e) => !replyCode(e.code).accepted).length,
    repliesByCode: byCode(replies),
    bindingsCreated: ha(log.of('binding-created')).length,
    bindingsRenewed: ha(log.of('binding-renewed')).length,
    bindingsRemoved: ha(log.of('binding-removed')).length,
    bindingsExpired: ha(log.of('binding-expired')).length,
    securityViolations: ha(log.of('security-violation')).length,
    malformedDatagrams: ha(log.of('malformed-datagram')).filter((e) => e.socket === 'registration').length,
    gratuitousArps: arps.filter((e) => e.kind === 'gratuitous').length,
    proxyArps: arps.filter((e) => e.kind === 'proxy').length,
    advertisementsSent: ha(log.of('advertisement-sent')).length,
  };
}

/** A foreign agent's figures counted from its recorded events, the FA's denials split by cause. */
export function foreignAgentCounts(log: RecordedEvents) {
  const fa = <T extends { nodeKind: string }>(events: T[]): T[] =>
    events.filter((e) => e.nodeKind === 'foreign-agent');
  const denials = fa(log.of('request-denied'));
  const cause = (c: string): number => denials.filter((e) => e.cause === c).length;
  const dropped = fa(log.of('reply-dropped'));
  const drop = (reason: string): number => dropped.filter((e) => e.reason === reason).length;
  const added = fa(log.of('visitor-added'));
  return {
    requestsReceived: fa(log.of('request-received')).length,
    requestsRelayed: fa(log.of('request-relayed')).length,
    denied: denials.length,
    deniedByCode: byCode(denials),
    repliesRelayed: fa(log.of('reply-sent')).filter((e) => e.relayed).length,
    repliesDroppedNoPending: drop('no-pending-request'),
    repliesDroppedPoorlyFormed: drop('poorly-formed'),
    repliesDroppedUnexpectedSource: drop('unexpected-source'),
    homeAgentRefused: cause('home-agent-refused'),
    ownEndpointDropped: cause('own-endpoint'),
    relaysRateLimited: cause('rate-limited'),
    pendingLimited: cause('pending-limit'),
    pendingEvicted: cause('pending-evicted'),
    visitorTableFull: cause('visitor-table-full'),
    visitorLifetimesCapped: added.filter((e) => e.grantedLifetime !== undefined).length,
    visitorsAdded: added.length,
    visitorsRemoved: fa(log.of('visitor-removed')).length,
    malformedDatagrams: fa(log.of('malformed-datagram')).filter((e) => e.socket === 'registration').length,
    advertisementsSent: fa(log.of('advertisement-sent')).length,
  };
}
