import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { Document, isMap, isSeq, parseDocument, type YAMLSeq } from 'yaml';
import { StratumError } from '../errors.js';
import type { FeedbackRecord } from './types.js';

export interface PromotedQuery {
  /** The file written: the Cortex model itself, or the MetricFlow model's companion file. */
  file: string;
  name: string;
  format: 'cortex' | 'metricflow';
}

/** A verified query entry in Cortex Analyst's shape (also used by MetricFlow companion files). */
interface VerifiedQueryEntry {
  name: string;
  question: string;
  sql: string;
  verified_at: number;
  verified_by: string;
  use_as_onboarding_question: boolean;
}

/** The companion file beside a MetricFlow model: the registry ignores it (no model keys), Stratum reads it. */
export function companionFile(modelFile: string): string {
  return join(dirname(modelFile), `${basename(modelFile, extname(modelFile))}.verified_queries.yaml`);
}

/**
 * Appends a feedback record's (question, SQL) pair to a semantic model's verified queries: a Cortex
 * model gets it under `verified_queries`; a MetricFlow model, which has no such section, gets a
 * companion file. The new entry is spliced into the text after the last one, so every other byte —
 * comments, layout, quoting — stays as written.
 */
export function promoteFeedback(feedback: FeedbackRecord, modelFile: string, now: Date = new Date()): PromotedQuery {
  const sql = feedback.correctedSql ?? (feedback.rating === 'up' ? feedback.sql : undefined);
  if (!feedback.question || !sql) {
    throw new StratumError(
      'INVALID_ARGUMENT',
      `Feedback ${feedback.id} has no ${feedback.question ? 'SQL known to be right (an upvoted sql or a corrected_sql)' : 'question'}; only a question with its right SQL can be promoted.`,
      'Pick an upvote or a correction from `stratum feedback list`.',
    );
  }
  if (!existsSync(modelFile)) throw new StratumError('INVALID_ARGUMENT', `No semantic model file at ${modelFile}.`, 'Pass --to the Cortex YAML file or the MetricFlow YAML file of the model.');
  const format = modelFormat(readFileSync(modelFile, 'utf8'), modelFile);
  const target = format === 'cortex' ? modelFile : companionFile(modelFile);
  const text = existsSync(target) ? readFileSync(target, 'utf8') : `# Verified queries of the MetricFlow model in ${basename(modelFile)}, kept by \`stratum feedback promote\`.\n`;
  const entry: VerifiedQueryEntry = {
    name: '',
    question: feedback.question,
    sql: sql.trim(),
    verified_at: Math.floor(now.getTime() / 1000),
    verified_by: `stratum feedback ${feedback.id}`,
    use_as_onboarding_question: false,
  };
  const updated = appendVerifiedQuery(text, entry, target);
  writeFileSync(target, updated.text);
  return { file: target, name: updated.name, format };
}

function modelFormat(text: string, file: string): 'cortex' | 'metricflow' {
  const document = parseDocument(text);
  const keys = isMap(document.contents) ? document.contents.items.map((pair) => String((pair.key as { value?: unknown })?.value ?? pair.key)) : [];
  if (keys.includes('tables')) return 'cortex';
  if (keys.some((key) => ['semantic_models', 'metrics', 'saved_queries'].includes(key))) return 'metricflow';
  throw new StratumError('INVALID_ARGUMENT', `${file} is neither a Cortex model (tables:) nor a MetricFlow file (semantic_models:, metrics:).`, 'Pass --to a semantic model file listed by `stratum validate`.');
}

/** Adds one entry at the end of `verified_queries` (created at the end of the file when missing) and returns the new text. */
export function appendVerifiedQuery(text: string, entry: VerifiedQueryEntry, file: string): { text: string; name: string } {
  const document = parseDocument(text);
  if (document.errors.length) throw new StratumError('INVALID_ARGUMENT', `${file} is not valid YAML: ${document.errors[0]!.message.split('\n')[0]}`, 'Fix the file first (`stratum validate`).');
  const existing = document.get('verified_queries', true);
  if (existing !== undefined && existing !== null && !isSeq(existing)) {
    throw new StratumError('INVALID_ARGUMENT', `${file}: verified_queries is not a list.`, 'Make verified_queries a YAML list of {name, question, sql} entries.');
  }
  const sequence = existing as YAMLSeq | undefined;
  const taken = new Set((sequence?.toJSON() as { name?: string }[] | undefined)?.map((item) => item?.name) ?? []);
  const name = uniqueName(entry.question, taken);
  const item = { ...entry, name };
  if (!sequence || sequence.items.length === 0 || sequence.flow) {
    // No block list to extend: add the section (or replace an empty/flow one) through the Document API.
    const list = sequence?.toJSON() ?? [];
    document.set('verified_queries', document.createNode([...list, item]));
    return { text: document.toString({ lineWidth: 0 }), name };
  }
  const indent = dashColumn(text, sequence.items[0] as { range?: [number, number, number] } | undefined) ?? 0;
  const rendered = new Document([item]).toString({ lineWidth: 0 }).replace(/\n$/, '');
  const block = rendered
    .split('\n')
    .map((line) => (line ? ' '.repeat(indent) + line : line))
    .join('\n');
  const end = sequence.range![1];
  const lineEnd = text[end - 1] === '\n' ? end : nextLineStart(text, end);
  const before = text.slice(0, lineEnd);
  const separator = /\n\s*\n\s*-/.test(text.slice(sequence.range![0], end)) ? '\n' : '';
  const updated = `${before}${before.endsWith('\n') ? '' : '\n'}${separator}${block}\n${text.slice(lineEnd)}`;
  const check = parseDocument(updated).get('verified_queries') as YAMLSeq | undefined;
  if (!check || check.items.length !== sequence.items.length + 1) {
    document.addIn(['verified_queries'], document.createNode(item));
    return { text: document.toString({ lineWidth: 0 }), name };
  }
  return { text: updated, name };
}

/** The column of a list item's `-` (the item's own range starts after "- "). */
function dashColumn(text: string, node: { range?: [number, number, number] } | undefined): number | undefined {
  const start = node?.range?.[0];
  if (start === undefined) return undefined;
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  const dash = text.lastIndexOf('-', start - 1);
  return dash >= lineStart ? dash - lineStart : undefined;
}

function nextLineStart(text: string, offset: number): number {
  const newline = text.indexOf('\n', offset);
  return newline === -1 ? text.length : newline + 1;
}

function uniqueName(question: string, taken: Set<string | undefined>): string {
  const base =
    question
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .split('_')
      .slice(0, 8)
      .join('_') || 'verified_query';
  let name = base;
  for (let n = 2; taken.has(name); n++) name = `${base}_${n}`;
  return name;
}
