import type { Logger } from 'pino';

/**
 * Graceful shutdown: on SIGTERM or SIGINT, stop (which lets in-flight registrations finish) and
 * exit 0; a stop that takes longer than 4.5 s is cut short so the process always exits within 5 s.
 * Resolves when the process should end (signal, or `durationSeconds` elapsed).
 */
export function installShutdown(
  logger: Logger,
  stop: () => Promise<void>,
  durationSeconds?: number,
): Promise<void> {
  return new Promise<void>((resolve) => {
    let done = false;
    const finish = async (reason: string): Promise<void> => {
      if (done) {
        // A second signal while stopping: stop waiting (a signal never kills us uncleanly).
        logger.warn({ reason }, 'second signal while shutting down: exiting now');
        logger.flush?.();
        process.exit(0);
      }
      done = true;
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
    // `on`, not `once`: with `once`, a second signal during the stop would take Node's default
    // action and end the process by the signal, with no exit code.
    process.on('SIGTERM', () => void finish('SIGTERM'));
    process.on('SIGINT', () => void finish('SIGINT'));
    if (durationSeconds !== undefined)
      setTimeout(() => void finish(`--duration ${durationSeconds}s elapsed`), durationSeconds * 1000);
  });
}
