import type { CallToolResult } from '@modelcontextprotocol/server';
import { StratumError } from '../errors.js';
import type { Logger } from '../logger.js';

/** Annotations shared by every tool that only reads. */
export const READ_ONLY_ANNOTATIONS = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: false,
} as const;

export function success(structured: object, text: string): CallToolResult {
  return { content: [{ type: 'text', text }], structuredContent: structured as Record<string, unknown> };
}

/** A business error as the model should see it: what was wrong and how to fix the call. */
export function failure(error: unknown, logger: Logger, tool: string): CallToolResult {
  if (error instanceof StratumError) {
    const interrupted = error.code === 'QUERY_TIMEOUT' || error.code === 'QUERY_CANCELLED';
    if (interrupted) logger.info({ tool, code: error.code }, 'query interrupted');
    else logger.debug({ tool, code: error.code }, 'tool call refused');
    return { isError: true, content: [{ type: 'text', text: `Error [${error.code}]: ${error.toText()}` }] };
  }
  logger.error({ tool, err: error }, 'tool failed unexpectedly');
  const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
  return { isError: true, content: [{ type: 'text', text: `Error [INTERNAL]: ${tool} failed: ${message}. The server is still running; try again or report this.` }] };
}

/** Runs a tool body, turning every thrown error into an isError result so the server keeps serving. */
export async function guarded<T = CallToolResult>(tool: string, logger: Logger, body: () => Promise<T>): Promise<T | CallToolResult> {
  try {
    return await body();
  } catch (error) {
    return failure(error, logger, tool);
  }
}

/** Annotations for a tool that only adds records (feedback): nothing existing is changed or deleted. */
export const APPEND_ONLY_ANNOTATIONS = {
  readOnlyHint: false,
  destructiveHint: false,
  idempotentHint: false,
  openWorldHint: false,
} as const;
