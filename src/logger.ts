import { pino, type Logger } from 'pino';

/**
 * Logs always go to stderr: in stdio mode stdout carries protocol messages only.
 * Synchronous writes so that nothing is lost when the process exits on a fatal error.
 */
export function createLogger(level: string = process.env.STRATUM_LOG_LEVEL ?? 'info'): Logger {
  return pino({ name: 'stratum', level }, pino.destination({ fd: 2, sync: true }));
}

export const logger: Logger = createLogger();
export type { Logger };
