import type { TimeGranularity } from '../ir.js';

/** The time transformations a metric plan applies to a measure's rows, before any SQL. */

/** How the spine date of an output row maps to the date a measure row must have. */
export type TimeShift =
  | { kind: 'window'; count: number; grain: TimeGranularity }
  | { kind: 'toGrain'; grain: TimeGranularity }
  /** `1 alien_day`: the same day position, `count` periods of a custom grain earlier. */
  | { kind: 'customWindow'; count: number; grain: string };

export interface CumulativeWindow {
  /** Absent with grainToDate; both absent for all-time. */
  window?: { count: number; grain: TimeGranularity };
  grainToDate?: TimeGranularity;
  periodAggregation: 'first' | 'last' | 'average';
}

const GRAIN_WORDS: Record<string, TimeGranularity> = {
  nanosecond: 'nanosecond', microsecond: 'microsecond', millisecond: 'millisecond', second: 'second', minute: 'minute', hour: 'hour',
  day: 'day', week: 'week', month: 'month', quarter: 'quarter', year: 'year',
};

/** `7 days`, `2 months`, `1 week` -> {count, grain}; undefined when not a window. */
export function parseWindow(text: string): { count: number; grain: TimeGranularity } | undefined {
  const match = /^\s*(\d+)\s+([a-z_]+?)s?\s*$/i.exec(text);
  if (!match) return undefined;
  const grain = GRAIN_WORDS[match[2]!.toLowerCase()];
  return grain ? { count: Number(match[1]), grain } : undefined;
}
