/**
 * The engine's problems in the log (src/app/event-log.ts), on a fake clock: what gets an info line
 * and with which fields, the rate limit per cause (a storm of 10,000 identical timeouts yields at
 * most the limit plus one summary line per window), distinct causes each get their lines, debug
 * gets every event, and no line holds key material.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createEventLog, type EventLogOptions } from '../../src/app/event-log.ts';
import { describeOutcome } from '../../src/collector/outcome-text.ts';
import type { PmipEvent, RegistrationOutcomeEvent } from '../../src/pmip/events.ts';
import { FakeScheduler } from '../../src/pmip/runtime/scheduler.ts';

type Line = Record<string, unknown> & { level: number; msg: string };

function setup(level: 'debug' | 'info' | 'warn' = 'info', options: Partial<EventLogOptions> = {}) {
  const lines: Line[] = [];
  const logger = pino(
    { level, base: null, timestamp: false },
    { write: (s: string) => lines.push(JSON.parse(s)) },
  );
  const scheduler = new FakeScheduler(Date.UTC(2026, 5, 1));
  const log = createEventLog({ logger, scheduler, lines: 5, windowMs: 10_000, ...options });
  const info = () => lines.filter((l) => l.level === 30);
  const debug = () => lines.filter((l) => l.level === 20);
  return { lines, info, debug, scheduler, log };
}

let n = 0;
/** Overrides; an explicit `undefined` removes a default field. */
function outcome(
  o: { [K in keyof RegistrationOutcomeEvent]?: RegistrationOutcomeEvent[K] | undefined } = {},
): RegistrationOutcomeEvent {
  n++;
  return {
    type: 'registration-outcome',
    time: 0,
    node: 'ap-east',
    nodeKind: 'access-point',
    client: {
      mac: `02:00:00:00:${((n >> 8) & 0xff).toString(16).padStart(2, '0')}:${(n & 0xff).toString(16).padStart(2, '0')}`,
      address: '127.201.0.50',
    },
    kind: 'initial',
    outcome: 'timeout',
    homeAgent: '127.201.0.1',
    foreignAgent: '127.211.0.2',
    transmissions: 4,
    ...o,
  } as RegistrationOutcomeEvent;
}

const timeout = outcome();

describe('event log', () => {
  it('logs a registration timeout at info with the access point, client, agents and the cause in words', () => {
    const { info, log } = setup('info', {
      names: {
        homeAgents: [{ id: 'ha-lab-1', address: '127.201.0.1' }],
        foreignAgents: [{ id: 'fa-east', address: '127.211.0.2' }],
      },
    });
    log.handle(timeout);
    const cause = describeOutcome({ ...timeout, kind: 'timeout' });
    expect(cause).toContain('no reply from 127.201.0.1 after 4 tries');
    expect(info()).toEqual([
      {
        level: 30,
        accessPoint: 'ap-east',
        client: timeout.client.mac,
        clientAddress: '127.201.0.50',
        kind: 'initial',
        event: 'registration-outcome',
        outcome: 'timeout',
        homeAgent: '127.201.0.1',
        homeAgentName: 'ha-lab-1',
        foreignAgent: '127.211.0.2',
        foreignAgentName: 'fa-east',
        transmissions: 4,
        cause,
        msg: `registration timeout: ${cause}`,
      },
    ]);
  });

  it('names the code and its reason for denials and unauthenticated replies', () => {
    const { info, log } = setup();
    log.handle(
      outcome({
        outcome: 'denied',
        code: 131,
        reason: 'ha_mn_failed_authentication',
        issuer: 'home-agent',
        transmissions: 1,
      }),
    );
    log.handle(
      outcome({ outcome: 'unauthenticated', code: 131, reason: 'bad-authenticator', transmissions: 4 }),
    );
    log.handle(
      outcome({ outcome: 'discarded', reason: 'no-home-agent', transmissions: 0, homeAgent: undefined }),
    );
    const [denied, unauthenticated, discarded] = info();
    expect(denied).toMatchObject({ outcome: 'denied', code: 131, reason: 'ha_mn_failed_authentication' });
    expect(denied!.msg).toMatch(/^registration denied: .*131 ha_mn_failed_authentication/);
    expect(unauthenticated).toMatchObject({
      outcome: 'unauthenticated',
      code: 131,
      reason: 'bad-authenticator',
      claimed: 'ha_mn_failed_authentication',
    });
    expect(unauthenticated!.cause).toMatch(/failed authentication \(claims 131 .*\): check the SPI and key/);
    expect(discarded).toMatchObject({ outcome: 'discarded', reason: 'no-home-agent' });
    expect(discarded).not.toHaveProperty('homeAgent');
  });

  it('logs security violations, reply discards and malformed datagrams, and not accepted registrations', () => {
    const { info, log } = setup();
    const base = { time: 0, node: 'ap-east', nodeKind: 'access-point' as const };
    const events: PmipEvent[] = [
      outcome({ outcome: 'accepted', code: 0, reason: 'accepted', roundTripSeconds: 0.01, transmissions: 1 }),
      {
        ...base,
        type: 'security-violation',
        reason: 'bad-authenticator',
        peer: '127.201.0.1',
        client: { mac: '02:00:00:00:00:01', address: '127.201.0.50' },
      },
      { ...base, type: 'reply-discarded', reason: 'no-pending-request', peer: '127.201.0.1' },
      {
        ...base,
        type: 'malformed-datagram',
        socket: 'registration',
        errorKind: 'truncated',
        peer: '127.9.9.9',
      },
      {
        time: 0,
        node: 'ha-lab-1',
        nodeKind: 'home-agent',
        type: 'security-violation',
        reason: 'bad-spi',
        peer: '127.211.0.2',
      },
      {
        ...base,
        type: 'client-state',
        client: { mac: '02:00:00:00:00:01', address: '127.201.0.50' },
        ssid: 'corp',
        state: 'pending',
      },
    ];
    for (const e of events) log.handle(e);
    expect(info().map((l) => l.msg)).toEqual([
      'security violation: reply from 127.201.0.1 failed authentication (bad authenticator): check the SPI and key',
      'reply discarded: reply from 127.201.0.1 discarded: no request is pending for it',
      'malformed datagram from 127.9.9.9 on the registration socket (truncated)',
      'security violation: request from 127.211.0.2 used another SPI than the security association: check the SPI',
    ]);
    expect(info()[0]).toMatchObject({
      accessPoint: 'ap-east',
      nodeKind: 'access-point',
      client: '02:00:00:00:00:01',
      peer: '127.201.0.1',
    });
    expect(info()[3]).toMatchObject({ node: 'ha-lab-1', nodeKind: 'home-agent', reason: 'bad-spi' });
  });

  it('a storm of 10,000 identical timeouts at once yields the limit, then one summary line when the window ends', () => {
    const { info, log, scheduler } = setup();
    for (let i = 0; i < 10_000; i++) log.handle(outcome());
    expect(info()).toHaveLength(5);
    scheduler.advance(9_999);
    expect(info()).toHaveLength(5);
    scheduler.advance(1);
    expect(info()).toHaveLength(6);
    expect(info()[5]).toMatchObject({
      event: 'registration-outcome',
      outcome: 'timeout',
      homeAgent: '127.201.0.1',
      suppressed: 9_995,
      windowSeconds: 10,
      msg: 'suppressed 9995 similar messages',
    });
    expect(info()[5]!.like).toMatch(/^registration timeout: no reply from 127\.201\.0\.1/);
    expect(log.stats).toEqual({ logged: 5, suppressed: 9_995, summaries: 1 });
    // The next window starts afresh.
    log.handle(outcome());
    expect(info()).toHaveLength(7);
    expect(info()[6]!.msg).toMatch(/^registration timeout/);
  });

  it('a storm spread over a minute yields at most the limit plus one summary per window', () => {
    const { info, log, scheduler } = setup();
    for (let i = 0; i < 10_000; i++) {
      log.handle(outcome());
      scheduler.advance(6); // 60 s in all
    }
    scheduler.advance(10_000);
    const windows = Math.ceil(60_000 / 10_000);
    const summaries = info().filter((l) => l.msg.startsWith('suppressed'));
    expect(info().length).toBeLessThanOrEqual(windows * 6);
    expect(summaries.length).toBeLessThanOrEqual(windows);
    const suppressed = summaries.reduce((s, l) => s + Number(l.suppressed), 0);
    // Every event is either logged or counted in a summary.
    expect(info().length - summaries.length + suppressed).toBe(10_000);
  });

  it('distinct causes each get their own lines', () => {
    const { info, log, scheduler } = setup();
    for (let i = 0; i < 100; i++) {
      log.handle(outcome());
      log.handle(outcome({ homeAgent: '127.202.0.1' }));
      log.handle(
        outcome({ outcome: 'denied', code: 131, reason: 'ha_mn_failed_authentication', transmissions: 1 }),
      );
      log.handle(
        outcome({ outcome: 'denied', code: 133, reason: 'ha_identification_mismatch', transmissions: 1 }),
      );
      log.handle({
        time: 0,
        node: 'ap-east',
        nodeKind: 'access-point',
        type: 'reply-discarded',
        reason: 'invalid-identification',
        peer: '127.201.0.1',
      });
    }
    expect(info()).toHaveLength(5 * 5);
    scheduler.advance(10_000);
    const summaries = info().filter((l) => l.msg === 'suppressed 95 similar messages');
    expect(summaries).toHaveLength(5);
    expect(
      summaries.map((s) => `${s.event} ${s.outcome ?? ''} ${s.code ?? ''} ${s.homeAgent ?? ''}`).sort(),
    ).toEqual([
      'registration-outcome denied 131 127.201.0.1',
      'registration-outcome denied 133 127.201.0.1',
      'registration-outcome timeout  127.201.0.1',
      'registration-outcome timeout  127.202.0.1',
      'reply-discarded   ',
    ]);
  });

  it('debug gets every event, unlimited', () => {
    const { debug, info, log } = setup('debug');
    for (let i = 0; i < 1000; i++) log.handle(outcome());
    log.handle({ time: 0, node: 'ap-east', nodeKind: 'access-point', type: 'solicitation-sent' });
    expect(debug()).toHaveLength(1001);
    expect(debug()[0]).toMatchObject({
      event: 'registration-outcome',
      msg: 'event registration-outcome',
      data: { outcome: 'timeout' },
    });
    expect(info()).toHaveLength(5);
  });

  it('writes nothing below its level', () => {
    const { lines, log, scheduler } = setup('warn');
    for (let i = 0; i < 100; i++) log.handle(outcome());
    scheduler.advance(20_000);
    expect(lines).toEqual([]);
  });

  it('stop() says what was suppressed in the windows still open', () => {
    const { info, log, scheduler } = setup();
    for (let i = 0; i < 7; i++) log.handle(outcome());
    log.stop();
    expect(info().at(-1)).toMatchObject({ msg: 'suppressed 2 similar messages', suppressed: 2 });
    scheduler.advance(60_000);
    expect(info()).toHaveLength(6);
  });

  it('beyond maxCauses, new causes share one budget', () => {
    const { info, log } = setup('info', { maxCauses: 3 });
    for (let i = 0; i < 50; i++) log.handle(outcome({ homeAgent: `127.201.${i}.1` }));
    // 3 causes of their own (one line each), then the shared one (5 lines).
    expect(info()).toHaveLength(3 + 5);
  });

  it('never logs key material', () => {
    const { lines, log } = setup('debug');
    log.handle(outcome({ outcome: 'unauthenticated', code: 131, reason: 'bad-authenticator' }));
    const text = JSON.stringify(lines);
    expect(text).not.toMatch(/"key"|keyHex|[0-9a-f]{32}/i);
  });
});
