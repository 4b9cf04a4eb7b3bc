import { serveStdio } from '@modelcontextprotocol/server/stdio';
import type { AppContext } from '../context.js';
import { createServer } from '../server.js';

/**
 * Serves MCP over stdin/stdout. Both protocol eras are answered from the same factory: the
 * opening message decides, and one server instance is pinned to the connection.
 * Resolves when the client goes away or the process is asked to stop.
 */
export async function runStdioServer(context: AppContext, subagent?: string): Promise<void> {
  // A subagent that cannot be served stops the command before any client connects.
  if (subagent !== undefined) context.toolScope(subagent);
  // One bad request must never take the server (and the user's client session) down with it.
  process.on('unhandledRejection', (reason) => context.logger.error({ err: reason }, 'unhandled rejection'));
  const handle = serveStdio(() => createServer(context, subagent), {
    onerror: (error) => context.logger.warn({ err: error }, 'stdio transport error'),
  });
  context.logger.info({ datasources: Object.keys(context.config.datasources), config: context.config.configPath, ...(subagent ? { subagent } : {}) }, 'stratum serving over stdio');

  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (reason: string) => {
      if (stopping) return;
      stopping = true;
      context.logger.info({ reason }, 'stratum stopping');
      resolve();
    };
    process.stdin.once('end', () => stop('stdin closed'));
    process.stdin.once('close', () => stop('stdin closed'));
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await handle.close().catch(() => undefined);
  await context.close();
}
