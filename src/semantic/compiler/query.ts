import { StratumError, didYouMean } from '../../errors.js';
import type { SemanticModel, TimeGranularity } from '../ir.js';
import { TIME_GRANULARITIES } from '../ir.js';
import type { DatePart } from '../sql/ast.js';

/** A metric query in MetricFlow's language (../shared/ARCHITECTURE.md). */
export interface MetricQuery {
  metrics?: string[];
  /** `entity__dimension`, `a__b__dim`, `metric_time__month`, `dim__extract_dow`, or an object form. */
  groupBy?: (string | GroupByObject)[];
  /** `{{ Dimension('x') }} = 'y'` templates or plain SQL over the same names. */
  where?: string[];
  /** Output names; `-name` sorts descending. */
  orderBy?: string[];
  limit?: number;
  /** Inclusive bounds on metric_time. */
  startTime?: string;
  endTime?: string;
  savedQuery?: string;
  /** Dimension-value queries: return only the minimum and maximum of each item. */
  minMaxOnly?: boolean;
  /** Dimension-value queries: false keeps duplicate rows (no GROUP BY). */
  applyGroupBy?: boolean;
}

export interface GroupByObject {
  name: string;
  grain?: string;
  datePart?: string;
}

/** A group-by, filter or order-by name taken apart: entity path, element, grain or date part. */
export interface ItemRequest {
  /** As the caller wrote it. */
  text: string;
  entityPath: string[];
  element: string;
  grain?: string;
  datePart?: DatePart;
}

export const DATE_PARTS: readonly DatePart[] = ['year', 'quarter', 'month', 'week', 'day', 'dow', 'doy', 'hour', 'minute', 'second'];

/** The custom grains a model's time spines define (`alien_day`, `fiscal_quarter`) and where each lives. */
export function customGranularities(model: SemanticModel): Map<string, { grain: TimeGranularity; column: string }> {
  const custom = new Map<string, { grain: TimeGranularity; column: string }>();
  for (const spine of model.timeSpines) {
    for (const item of spine.customGranularities) custom.set(item.name.toLowerCase(), { grain: spine.granularity, column: item.column });
  }
  return custom;
}

export function isStandardGrain(name: string): name is TimeGranularity {
  return (TIME_GRANULARITIES as readonly string[]).includes(name);
}

/** Splits `listing__user__ds__month` into path [listing, user], element ds, grain month. */
export function parseItemName(input: string | GroupByObject, customGrains: ReadonlySet<string>): ItemRequest {
  const text = typeof input === 'string' ? input.trim() : input.name.trim();
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(text)) {
    throw new StratumError('INVALID_ARGUMENT', `"${text}" is not a group-by name.`, 'Name dimensions as entity__dimension (e.g. customer__region), time as metric_time__month, date parts as metric_time__extract_dow.');
  }
  const parts = text.toLowerCase().split('__');
  const request: ItemRequest = { text, entityPath: [], element: parts[0]! };
  const last = parts.at(-1)!;
  if (parts.length > 1 && (isStandardGrain(last) || customGrains.has(last))) {
    request.grain = last;
    parts.pop();
  } else if (parts.length > 1 && last.startsWith('extract_')) {
    const part = last.slice('extract_'.length) as DatePart;
    if (!DATE_PARTS.includes(part)) {
      throw new StratumError('INVALID_ARGUMENT', `Unknown date part "${part}" in "${text}".${didYouMean(part, DATE_PARTS)}`, `Date parts: ${DATE_PARTS.join(', ')} (e.g. metric_time__extract_dow).`);
    }
    request.datePart = part;
    parts.pop();
  }
  request.element = parts.pop()!;
  request.entityPath = parts;
  if (typeof input !== 'string') {
    if (input.grain) {
      const grain = input.grain.toLowerCase();
      if (!isStandardGrain(grain) && !customGrains.has(grain)) {
        throw new StratumError('INVALID_ARGUMENT', `Unknown grain "${input.grain}" for "${text}".${didYouMean(grain, [...TIME_GRANULARITIES, ...customGrains])}`, `Grains: ${[...TIME_GRANULARITIES, ...customGrains].join(', ')}.`);
      }
      request.grain = grain;
    }
    if (input.datePart) {
      const part = input.datePart.toLowerCase() as DatePart;
      if (!DATE_PARTS.includes(part)) throw new StratumError('INVALID_ARGUMENT', `Unknown date part "${input.datePart}" for "${text}".`, `Date parts: ${DATE_PARTS.join(', ')}.`);
      request.datePart = part;
    }
  }
  return request;
}

/** A reference found in a filter: the text to replace and what it names. */
export interface FilterReference {
  /** The exact text in the filter, e.g. `{{ Dimension('x') }}` or a bare `x__y`. */
  match: string;
  kind: 'item' | 'metric';
  item?: ItemRequest;
  /** For `{{ Metric('m', group_by=['e']) }}`. */
  metric?: { name: string; groupBy: string[] };
}

const TEMPLATE = /\{\{\s*(Dimension|TimeDimension|Entity|Metric)\s*\(([^)]*(?:\[[^\]]*\][^)]*)*)\)\s*(?:\.\s*(grain|date_part)\s*\(\s*(['"])([^'"]+)\4\s*\)\s*)*\}\}/g;
const QUOTED = /(['"])([^'"]*)\1/g;

/**
 * The references in a where filter. Templates (`Dimension`, `TimeDimension`, `Entity`, `Metric`) are
 * parsed; in plain SQL, identifiers outside string literals that are known item names count too.
 */
export function filterReferences(filter: string, customGrains: ReadonlySet<string>, isKnownName: (request: ItemRequest) => boolean): FilterReference[] {
  const references: FilterReference[] = [];
  for (const match of filter.matchAll(TEMPLATE)) {
    const [whole, kind, args] = match;
    const firstList = args!.indexOf('[');
    const head = firstList >= 0 ? args!.slice(0, firstList) : args!;
    const quoted = [...head.matchAll(QUOTED)].map((found) => found[2]!);
    const name = quoted[0];
    if (name === undefined) throw new StratumError('INVALID_ARGUMENT', `The filter template ${whole} names nothing.`, `Write e.g. {{ Dimension('customer__region') }}.`);
    const list = firstList >= 0 ? [...args!.slice(firstList).matchAll(QUOTED)].map((found) => found[2]!) : [];
    if (kind === 'Metric') {
      references.push({ match: whole, kind: 'metric', metric: { name, groupBy: list } });
      continue;
    }
    const item = parseItemName(name, customGrains);
    const grainArg = quoted[1] ?? /grain\s*\(\s*['"]([^'"]+)/.exec(whole)?.[1] ?? /time_granularity\s*=\s*['"]([^'"]+)/.exec(args!)?.[1];
    if (kind === 'TimeDimension' && grainArg) item.grain = grainArg.toLowerCase();
    const datePart = /date_part\s*(?:=|\()\s*['"]([^'"]+)/.exec(whole)?.[1];
    if (datePart) item.datePart = datePart.toLowerCase() as DatePart;
    if (list.length && item.entityPath.length === 0) item.entityPath = list.map((entity) => entity.toLowerCase());
    references.push({ match: whole, kind: 'item', item });
  }
  const plain = filter.replace(TEMPLATE, (whole) => ' '.repeat(whole.length));
  const token = /'(?:[^']|'')*'|"((?:[^"]|"")*)"|([A-Za-z_][A-Za-z0-9_]*)/g;
  for (const match of plain.matchAll(token)) {
    const name = match[1] ?? match[2];
    if (name === undefined) continue;
    if (/^\s*\(/.test(plain.slice(match.index + match[0].length))) continue;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) continue;
    const item = parseItemName(name, customGrains);
    if (isKnownName(item) && !references.some((reference) => reference.match === match[0])) references.push({ match: match[0], kind: 'item', item });
  }
  return references;
}

/** Replaces each reference's text in a filter by the column it resolved to. */
export function substituteReferences(filter: string, replacements: Map<string, string>): string {
  let result = filter.replace(TEMPLATE, (whole) => replacements.get(whole) ?? whole);
  const bare = [...replacements.keys()].filter((key) => !key.startsWith('{{'));
  if (bare.length) {
    result = result.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_]*/g, (token) => replacements.get(token) ?? token);
  }
  return result;
}

/** `-revenue` -> descending revenue. */
export function parseOrderBy(text: string): { name: string; descending: boolean } {
  const trimmed = text.trim();
  return trimmed.startsWith('-') ? { name: trimmed.slice(1).trim(), descending: true } : { name: trimmed, descending: false };
}
