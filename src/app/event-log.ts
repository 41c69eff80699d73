/**
 * The engine's problems in the log: an event-bus subscriber (src/pmip/events.ts) that writes, at
 * info, one JSON line per registration that did not succeed (denied, timeout, unauthenticated,
 * discarded), per security violation, per discarded reply and per malformed datagram, naming the
 * access point, the client, the home and foreign agents and the cause in words. Each cause is
 * rate-limited: at most `lines` lines per window of `windowMs`, then one
 * "suppressed K similar messages" line when the window ends, so a storm cannot flood the log.
 * Every event is also written at debug, unlimited. Events carry no key material, and neither
 * does anything written here.
 */
import type { Logger } from 'pino';
import { describeOutcome } from '../collector/outcome-text.ts';
import type {
  MalformedDatagramEvent,
  PmipEvent,
  RegistrationOutcomeEvent,
  ReplyDiscardedEvent,
  ReplyDiscardReason,
  SecurityViolationEvent,
  SecurityViolationReason,
} from '../pmip/events.ts';
import { realScheduler, type Scheduler, type TimerHandle } from '../pmip/runtime/scheduler.ts';
import { replyCode } from '../pmip/reply-codes.ts';

/** The agents known by name (src/app/site-config.ts knownAgents): lines name them too. */
export interface AgentNames {
  homeAgents?: ReadonlyArray<{ id: string; address: string }>;
  foreignAgents?: ReadonlyArray<{ id: string; address: string }>;
}

export interface EventLogOptions {
  logger: Logger;
  /** The clock of the windows (default the real one). Not the events' own time: an access point may run a skewed clock. */
  scheduler?: Pick<Scheduler, 'now' | 'after'>;
  /** Lines per cause per window (default 5). */
  lines?: number;
  /** The window, ms (default 10 000). */
  windowMs?: number;
  names?: AgentNames;
  /** Causes tracked at once; beyond, new causes share one (default 1000). */
  maxCauses?: number;
}

export interface EventLogStats {
  /** Info lines written for events (summaries not included). */
  logged: number;
  suppressed: number;
  summaries: number;
}

export interface EventLog {
  /** Subscribe this to the event bus. */
  readonly handle: (event: PmipEvent) => void;
  readonly stats: Readonly<EventLogStats>;
  /** Ends every open window now (its summary line, if anything was suppressed) and cancels the timers. */
  stop(): void;
}

export const DEFAULT_EVENT_LOG_LINES = 5;
export const DEFAULT_EVENT_LOG_WINDOW_MS = 10_000;

/** One info line: the cause it counts against, its fields and its message. */
interface Line {
  /** Identifies the cause (bounded: event type and bounded fields, never a client or a peer). */
  key: string;
  /** The fields that name the cause, repeated on the summary line. */
  causeFields: Record<string, unknown>;
  fields: Record<string, unknown>;
  msg: string;
}

interface Window {
  start: number;
  logged: number;
  suppressed: number;
  causeFields: Record<string, unknown>;
  /** The message of the last suppressed line. */
  like: string;
  timer?: TimerHandle;
}

const OTHER_CAUSE = '(other)';

const VIOLATION_WORDS: Record<SecurityViolationReason, string> = {
  'bad-authenticator': 'failed authentication (bad authenticator): check the SPI and key',
  'bad-spi': 'used another SPI than the security association: check the SPI',
  'missing-security-extension': 'carried no Mobile-Home authentication extension',
  'bad-identifier':
    'failed the replay check (identification): check the clocks, or the replay mode on both sides',
  'no-mobility-security-association':
    'concerns an address without a security association: add a securityAssociations.local binding or check RADIUS',
  other: 'failed a security check',
};

const DISCARD_WORDS: Record<ReplyDiscardReason, string> = {
  'invalid-home-address': "its home address is not the client's",
  'unknown-home-agent': 'it names another home agent',
  'invalid-identification': 'its identification matches no request sent',
  'invalid-extension': 'it carries an extension that cannot be read',
  'no-pending-request': 'no request is pending for it',
};

export function createEventLog(o: EventLogOptions): EventLog {
  const logger = o.logger;
  const scheduler = o.scheduler ?? realScheduler;
  const limit = o.lines ?? DEFAULT_EVENT_LOG_LINES;
  const windowMs = o.windowMs ?? DEFAULT_EVENT_LOG_WINDOW_MS;
  const maxCauses = o.maxCauses ?? 1000;
  if (!Number.isInteger(limit) || limit < 1) throw new Error('eventLog.lines: must be an integer >= 1');
  if (!Number.isFinite(windowMs) || windowMs <= 0) throw new Error('eventLog.windowMs: must be above 0');
  const haNames = new Map((o.names?.homeAgents ?? []).map((a) => [a.address, a.id]));
  const faNames = new Map((o.names?.foreignAgents ?? []).map((a) => [a.address, a.id]));
  const windows = new Map<string, Window>();
  const stats: EventLogStats = { logged: 0, suppressed: 0, summaries: 0 };

  const agents = (
    homeAgent: string | undefined,
    foreignAgent: string | undefined,
  ): Record<string, unknown> => {
    const f: Record<string, unknown> = {};
    if (homeAgent !== undefined) {
      f.homeAgent = homeAgent;
      const name = haNames.get(homeAgent);
      if (name !== undefined) f.homeAgentName = name;
    }
    if (foreignAgent !== undefined) {
      f.foreignAgent = foreignAgent;
      const name = faNames.get(foreignAgent);
      if (name !== undefined) f.foreignAgentName = name;
    }
    return f;
  };

  const where = (e: PmipEvent): Record<string, unknown> =>
    e.nodeKind === 'access-point' ? { accessPoint: e.node } : { node: e.node, nodeKind: e.nodeKind };

  const outcomeLine = (e: RegistrationOutcomeEvent): Line => {
    // The outcome's kind, not the registration's (initial, renewal, deregistration).
    const cause = describeOutcome({
      kind: e.outcome,
      code: e.code,
      reason: e.reason,
      homeAgent: e.homeAgent,
      foreignAgent: e.foreignAgent,
      transmissions: e.transmissions,
      securityAssociation: e.securityAssociation,
    });
    const causeFields: Record<string, unknown> = { event: e.type, outcome: e.outcome };
    // RADIUS gave no SA: why, and which server (names only, never a secret).
    if (e.securityAssociation) {
      causeFields.saCause = e.securityAssociation.cause;
      causeFields.radiusServer = e.securityAssociation.server;
    }
    if (e.code !== undefined) causeFields.code = e.code;
    // denied / unauthenticated: the reply code's reason; otherwise the event's own (discard) reason.
    const reason = e.code !== undefined && e.outcome === 'denied' ? replyCode(e.code).reason : e.reason;
    if (reason !== undefined) causeFields.reason = reason;
    if (e.outcome === 'unauthenticated' && e.code !== undefined)
      causeFields.claimed = replyCode(e.code).reason;
    Object.assign(causeFields, agents(e.homeAgent, undefined));
    return {
      key: `${e.type}|${e.outcome}|${e.code ?? ''}|${e.reason ?? ''}|${e.homeAgent ?? ''}|${e.securityAssociation?.cause ?? ''}`,
      causeFields,
      fields: {
        ...where(e),
        client: e.client.mac,
        clientAddress: e.client.address,
        kind: e.kind,
        ...causeFields,
        ...agents(e.homeAgent, e.foreignAgent),
        transmissions: e.transmissions,
        cause,
      },
      msg: `registration ${e.outcome}: ${cause}`,
    };
  };

  const violationLine = (e: SecurityViolationEvent): Line => {
    const subject = e.nodeKind === 'access-point' ? `reply from ${e.peer}` : `request from ${e.peer}`;
    const cause =
      e.reason === 'no-mobility-security-association' && e.client
        ? `no security association for ${e.client.address}: add a securityAssociations.local binding or check RADIUS`
        : `${subject} ${VIOLATION_WORDS[e.reason] ?? VIOLATION_WORDS.other}`;
    // The access point's check of a reply and the agent's check of a request are two causes.
    const causeFields = { event: e.type, nodeKind: e.nodeKind, reason: e.reason };
    const fields: Record<string, unknown> = { ...where(e), ...causeFields, peer: e.peer };
    if (e.client) Object.assign(fields, { client: e.client.mac, clientAddress: e.client.address });
    fields.cause = cause;
    return {
      key: `${e.type}|${e.nodeKind}|${e.reason}`,
      causeFields,
      fields,
      msg: `security violation: ${cause}`,
    };
  };

  const discardLine = (e: ReplyDiscardedEvent): Line => {
    const cause = `reply from ${e.peer} discarded: ${DISCARD_WORDS[e.reason] ?? e.reason}`;
    const causeFields = { event: e.type, reason: e.reason };
    return {
      key: `${e.type}|${e.reason}`,
      causeFields,
      fields: { ...where(e), ...causeFields, peer: e.peer, cause },
      msg: `reply discarded: ${cause}`,
    };
  };

  const malformedLine = (e: MalformedDatagramEvent): Line => {
    const cause = `malformed datagram from ${e.peer} on the ${e.socket} socket (${e.errorKind})`;
    const causeFields = { event: e.type, socket: e.socket, errorKind: e.errorKind };
    return {
      key: `${e.type}|${e.socket}|${e.errorKind}`,
      causeFields,
      fields: { ...where(e), ...causeFields, peer: e.peer, cause },
      msg: cause,
    };
  };

  const lineFor = (e: PmipEvent): Line | undefined => {
    switch (e.type) {
      case 'registration-outcome':
        return e.outcome === 'accepted' ? undefined : outcomeLine(e);
      case 'security-violation':
        return violationLine(e);
      case 'reply-discarded':
        return discardLine(e);
      case 'malformed-datagram':
        return malformedLine(e);
      default:
        return undefined;
    }
  };

  const close = (key: string, w: Window): void => {
    w.timer?.cancel();
    delete w.timer;
    if (windows.get(key) === w) windows.delete(key);
    if (w.suppressed === 0) return;
    stats.summaries++;
    const n = w.suppressed;
    logger.info(
      { ...w.causeFields, suppressed: n, windowSeconds: windowMs / 1000, like: w.like },
      `suppressed ${n} similar message${n === 1 ? '' : 's'}`,
    );
  };

  /** Drops windows that ended without anything suppressed (they have no timer). */
  const sweep = (now: number): void => {
    for (const [key, w] of windows) if (now - w.start >= windowMs) close(key, w);
  };

  const handle = (e: PmipEvent): void => {
    if (logger.isLevelEnabled('debug')) logger.debug({ event: e.type, data: e }, `event ${e.type}`);
    if (!logger.isLevelEnabled('info')) return;
    const line = lineFor(e);
    if (!line) return;
    const now = scheduler.now();
    let key = line.key;
    let w = windows.get(key);
    if (w && now - w.start >= windowMs) {
      close(key, w);
      w = undefined;
    }
    if (!w) {
      if (windows.size >= maxCauses) sweep(now);
      if (windows.size >= maxCauses) {
        key = OTHER_CAUSE;
        w = windows.get(key);
      }
    }
    if (!w) {
      w = {
        start: now,
        logged: 0,
        suppressed: 0,
        causeFields: key === OTHER_CAUSE ? {} : line.causeFields,
        like: '',
      };
      windows.set(key, w);
    }
    if (w.logged < limit) {
      w.logged++;
      stats.logged++;
      logger.info(line.fields, line.msg);
      return;
    }
    w.suppressed++;
    stats.suppressed++;
    w.like = line.msg;
    if (!w.timer) {
      const ending = w;
      const endingKey = key;
      w.timer = scheduler.after(w.start + windowMs - now, () => close(endingKey, ending));
    }
  };

  return {
    handle,
    stats,
    stop() {
      for (const [key, w] of [...windows]) close(key, w);
    },
  };
}
