import type { Measure, Metric, LogicalTable, TimeGranularity } from '../ir.js';

/**
 * What the compiler decided, before any SQL: which metrics, which measures of which tables, which
 * time transformations. Printed in `explanation` and testable without a database.
 */

/** How the spine date of an output row maps to the date a measure row must have. */
export type TimeShift = { kind: 'window'; count: number; grain: TimeGranularity } | { kind: 'toGrain'; grain: TimeGranularity };

export interface CumulativeWindow {
  /** Absent with grainToDate; both absent for all-time. */
  window?: { count: number; grain: TimeGranularity };
  grainToDate?: TimeGranularity;
  periodAggregation: 'first' | 'last' | 'average';
}

/** One aggregation of one measure, with everything that changes its rows. */
export interface MeasureStep {
  measure: Measure;
  table: LogicalTable;
  /** The output column of the aggregated value. */
  column: string;
  filters: string[];
  shifts: TimeShift[];
  cumulative?: CumulativeWindow;
}

export interface MetricPlan {
  metric: Metric;
  column: string;
  measures: MeasureStep[];
  inputs: MetricPlan[];
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
