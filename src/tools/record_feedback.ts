import { z } from 'zod';
import type { McpServer } from '@modelcontextprotocol/server';
import type { AppContext } from '../context.js';
import { StratumError } from '../errors.js';
import type { ToolScope } from '../subagents/index.js';
import { APPEND_ONLY_ANNOTATIONS, guarded, success } from './shared.js';
import { datasourceFor } from './scope.js';

const inputSchema = z.object({
  question: z.string().optional().describe('The question the user asked, in their words.'),
  sql: z.string().optional().describe('The SQL that answered it (the one being rated).'),
  rating: z.enum(['up', 'down']).describe('"up": the answer was right; "down": it was wrong.'),
  comment: z.string().optional().describe('What was right or wrong, in a sentence.'),
  corrected_sql: z.string().optional().describe('The right SQL, when the user or you know it; it becomes a verified query candidate once it plans.'),
  kind: z.enum(['success_story', 'issue', 'correction', 'rating']).optional().describe('Default: "correction" with corrected_sql, else "rating". "issue" is kept for the engineers without learning from it.'),
  subagent: z.string().optional().describe('The subagent that answered, if any.'),
  semantic_model: z.string().optional().describe('The semantic model the SQL came from, if any.'),
  datasource: z.string().optional().describe('Datasource the SQL runs on; the default one when omitted.'),
  idempotency_key: z.string().optional().describe('Any unique string; retrying with the same key returns the first id instead of storing twice.'),
});

const outputSchema = z.object({
  id: z.string(),
  stored: z.literal(true),
  duplicate: z.boolean(),
  outcome: z.enum(['candidate', 'demoted', 'not_verified', 'kept']),
  detail: z.string().optional(),
  verified_query_id: z.number().int().optional(),
});

const CLIENT_INFO_META_KEY = 'io.modelcontextprotocol/clientInfo';

/** The client's name: from the 2025 handshake, or from the 2026 per-request envelope. */
function clientName(server: McpServer, envelope: unknown): string | undefined {
  const fromHandshake = server.server.getClientVersion()?.name;
  if (fromHandshake) return fromHandshake;
  const info = (envelope as Record<string, { name?: unknown } | undefined> | undefined)?.[CLIENT_INFO_META_KEY];
  return typeof info?.name === 'string' ? info.name : undefined;
}

/**
 * Under a scope, feedback is tagged with the subagent (another name is refused) and its SQL must
 * keep to the scope, since upvoted and corrected SQL becomes a verified query others reuse.
 */
async function scopedFeedback(context: AppContext, scope: ToolScope, input: { subagent?: string | undefined; datasource?: string | undefined; sql?: string | undefined; corrected_sql?: string | undefined }) {
  const name = scope.subagent.name;
  if (input.subagent !== undefined && input.subagent !== name) {
    throw new StratumError('SCOPE_VIOLATION', `This server is the "${name}" subagent; feedback cannot be recorded for "${input.subagent}".`, `Omit subagent (it is "${name}" here).`);
  }
  const datasource = scope.datasource(input.datasource);
  const connector = await context.connector(datasource);
  for (const sql of [input.sql, input.corrected_sql]) if (sql?.trim()) await scope.checkSql(sql, connector);
  return { subagent: name, datasource };
}

export function registerRecordFeedback(server: McpServer, context: AppContext, scope?: ToolScope): void {
  server.registerTool(
    'record_feedback',
    {
      title: 'Record feedback on an answer',
      description:
        'Records whether an answer was right: the question, the SQL, rating "up" or "down", and the corrected SQL when known. ' +
        'Upvoted and corrected SQL that passes the read-only guard and plans becomes a verified query candidate that later, similar questions reuse; a downvote demotes that SQL. ' +
        'The record is on disk when this returns. Call it when the user says an answer was right or wrong.',
      inputSchema,
      outputSchema,
      annotations: { ...APPEND_ONLY_ANNOTATIONS, title: 'Record feedback on an answer' },
    },
    async (input, ctx) =>
      guarded('record_feedback', context.logger, async () => {
        const scoped = scope ? await scopedFeedback(context, scope, input) : { subagent: input.subagent, datasource: input.datasource };
        const knowledge = await context.knowledge();
        const result = await knowledge.recordFeedback({
          rating: input.rating,
          ...(input.question !== undefined ? { question: input.question } : {}),
          ...(input.sql !== undefined ? { sql: input.sql } : {}),
          ...(input.comment !== undefined ? { comment: input.comment } : {}),
          ...(input.corrected_sql !== undefined ? { correctedSql: input.corrected_sql } : {}),
          ...(input.kind ? { kind: input.kind } : {}),
          ...(scoped.subagent !== undefined ? { subagent: scoped.subagent } : {}),
          ...(input.semantic_model ? { semanticModel: input.semantic_model } : {}),
          ...(scoped.datasource ? { datasource: scoped.datasource } : {}),
          ...(input.idempotency_key ? { idempotencyKey: input.idempotency_key } : {}),
          ...((name) => (name ? { clientName: name } : {}))(clientName(server, ctx.mcpReq.envelope)),
        });
        const structured = {
          id: result.id,
          stored: true as const,
          duplicate: !result.created,
          outcome: result.outcome,
          ...(result.detail ? { detail: result.detail } : {}),
          ...(result.verifiedQueryId !== undefined ? { verified_query_id: result.verifiedQueryId } : {}),
        };
        const text = `Feedback ${result.id} stored${result.created ? '' : ' earlier (same idempotency key; nothing new stored)'}: ${result.outcome}${result.detail ? ` — ${result.detail}` : ''}.`;
        return success(structured, text);
      }),
  );
}
