import type { Logger } from 'pino';

/** A graceful stop, started by a signal or by `trigger`; `done` resolves when the process should end. */
export interface Shutdown {
  readonly done: Promise<void>;
  trigger(reason: string): void;
}

/**
 * Graceful shutdown: on SIGTERM or SIGINT (or `trigger`), stop (which lets in-flight registrations
 * finish) and exit 0; a stop that takes longer than 4.5 s is cut short so the process always
 * exits within 5 s.
 */
export function shutdownOnSignals(logger: Logger, stop: () => Promise<void>): Shutdown {
  let trigger: (reason: string) => void = () => {};
  const done = new Promise<void>((resolve) => {
    let stopping = false;
    const finish = async (reason: string): Promise<void> => {
      if (stopping) {
        // A second signal while stopping: stop waiting (a signal never kills us uncleanly).
        logger.warn({ reason }, 'second signal while shutting down: exiting now');
        logger.flush?.();
        process.exit(0);
      }
      stopping = true;
      logger.info({ reason }, 'shutting down');
      const deadline = setTimeout(() => {
        logger.warn('shutdown took longer than 4.5 s: exiting anyway');
        process.exit(0);
      }, 4500);
      deadline.unref();
      try {
        await stop();
      } finally {
        clearTimeout(deadline);
        logger.info('stopped');
        logger.flush?.();
        resolve();
        // Sockets and timers are closed; exit explicitly so nothing left over keeps us alive.
        setImmediate(() => process.exit(0));
      }
    };
    trigger = (reason) => void finish(reason);
    // `on`, not `once`: with `once`, a second signal during the stop would take Node's default
    // action and end the process by the signal, with no exit code.
    process.on('SIGTERM', () => void finish('SIGTERM'));
    process.on('SIGINT', () => void finish('SIGINT'));
  });
  return { done, trigger };
}

/**
 * `shutdownOnSignals`, and after `durationSeconds` (when given) the same stop. Resolves when the
 * process should end (signal, or the duration elapsed).
 */
export function installShutdown(
  logger: Logger,
  stop: () => Promise<void>,
  durationSeconds?: number,
): Promise<void> {
  const s = shutdownOnSignals(logger, stop);
  if (durationSeconds !== undefined) stopAfter(s, durationSeconds);
  return s.done;
}

/** Starts the stop once `--duration` seconds have passed. */
export function stopAfter(s: Shutdown, durationSeconds: number): void {
  setTimeout(() => s.trigger(`--duration ${durationSeconds}s elapsed`), durationSeconds * 1000);
}
