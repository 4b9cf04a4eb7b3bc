import { closestNames, formatSuggestions } from '../../errors.js';
import type { ProblemSeverity, SemanticProblem, SourceLocation } from '../ir.js';
import type { LocatedDocument } from '../yaml.js';

/**
 * Typed, located access to one YAML document: every field read through a `MappingReader` either
 * yields a value of the expected type or records a problem at the field's line and column, so the
 * parser reads like the specification and never throws on bad input.
 */

export type YamlPath = readonly (string | number)[];
export type Mapping = Record<string, unknown>;

export function isMapping(value: unknown): value is Mapping {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The document being read and the problems found so far. */
export class YamlSource {
  readonly problems: SemanticProblem[] = [];
  constructor(readonly document: LocatedDocument) {}

  locate(path: YamlPath): SourceLocation {
    return this.document.locate(path);
  }

  /** Where `key` itself is written (the value's position is often further right or on the next line). */
  locateKey(mappingPath: YamlPath, key: string): SourceLocation {
    return this.document.locateKey([...mappingPath, key]);
  }

  report(severity: ProblemSeverity, code: string, message: string, hint: string | undefined, location: SourceLocation): void {
    this.problems.push(hint === undefined ? { severity, code, message, location } : { severity, code, message, hint, location });
  }

  errorCount(): number {
    return this.problems.filter((problem) => problem.severity === 'error').length;
  }
}

function describeType(value: unknown): string {
  if (value === null || value === undefined) return 'empty';
  if (Array.isArray(value)) return 'a list';
  if (isMapping(value)) return 'a mapping';
  return `a ${typeof value}`;
}

export function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Names an item of a list for messages, e.g. `dimension "region" of table "orders"` or `table #2`. */
export type Describe = (name: string | undefined, index: number) => string;

interface FieldOptions {
  required?: boolean;
  /** How to fix a missing field; defaults to "Add it". */
  hint?: string;
}

/** One YAML mapping of the model (the model itself, a table, a dimension, ...), named for messages. */
export class MappingReader {
  constructor(
    readonly source: YamlSource,
    readonly value: Mapping,
    readonly path: YamlPath,
    /** How messages name this mapping, e.g. `fact "revenue" of table "orders"`. */
    readonly owner: string,
  ) {}

  get location(): SourceLocation {
    return this.source.locate(this.path);
  }

  locationOf(key: string): SourceLocation {
    return this.source.locate([...this.path, key]);
  }

  /** Warns about keys the specification does not have, suggesting the closest known key. */
  checkKeys(known: readonly string[]): void {
    for (const key of Object.keys(this.value)) {
      if (known.includes(key)) continue;
      this.source.report(
        'warning',
        'unknown_key',
        `Unknown key "${key}" in ${this.owner}.${formatSuggestions(closestNames(key, known))}`,
        `It is ignored. Keys the Cortex Analyst specification allows here: ${known.join(', ')}.`,
        this.source.locateKey(this.path, key),
      );
    }
  }

  /** A text value; numbers and booleans are accepted as their text. Surrounding whitespace is trimmed. */
  string(key: string, options: FieldOptions = {}): string | undefined {
    const raw = this.value[key];
    if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
    if (typeof raw === 'string' && raw.trim() !== '') return raw.trim();
    if (raw === undefined || raw === null || raw === '') {
      if (options.required) this.missing(key, options.hint);
      return undefined;
    }
    this.wrongType(key, raw, 'a text value', `Write ${key} as a single value, e.g. ${key}: some_text.`);
    return undefined;
  }

  /** A list of text values (synonyms, sample_values, primary key columns). */
  strings(key: string, options: FieldOptions = {}): string[] {
    const raw = this.value[key];
    if (raw === undefined || raw === null) {
      if (options.required) this.missing(key, options.hint);
      return [];
    }
    const listHint = `Write ${key} as a YAML list, e.g. ${key}: [first, second].`;
    if (!Array.isArray(raw)) {
      this.wrongType(key, raw, 'a list of text values', listHint);
      return typeof raw === 'string' || typeof raw === 'number' ? [String(raw)] : [];
    }
    const out: string[] = [];
    raw.forEach((item, index) => {
      if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') out.push(String(item));
      else if (item !== null && item !== undefined) {
        this.source.report(
          'error',
          'wrong_type',
          `Item ${index + 1} of "${key}" in ${this.owner} must be a text value, not ${describeType(item)}.`,
          listHint,
          this.source.locate([...this.path, key, index]),
        );
      }
    });
    return out;
  }

  boolean(key: string): boolean | undefined {
    const raw = this.value[key];
    if (typeof raw === 'boolean') return raw;
    if (raw !== undefined && raw !== null) this.wrongType(key, raw, 'true or false', `Write ${key}: true or ${key}: false.`);
    return undefined;
  }

  /** One of a fixed set of values (matched case-insensitively); anything else is an error naming the choices. */
  choice<T extends string>(key: string, allowed: readonly T[], code = 'invalid_value'): T | undefined {
    const text = this.string(key);
    if (text === undefined) return undefined;
    const found = allowed.find((candidate) => candidate === text.toLowerCase());
    if (found) return found;
    this.source.report(
      'error',
      code,
      `Unknown ${key} "${text}" in ${this.owner}.${formatSuggestions(closestNames(text, allowed))}`,
      `Use one of: ${allowed.join(', ')}.`,
      this.locationOf(key),
    );
    return undefined;
  }

  mapping(key: string, owner: string, options: FieldOptions = {}): MappingReader | undefined {
    const raw = this.value[key];
    if (isMapping(raw)) return new MappingReader(this.source, raw, [...this.path, key], owner);
    if (raw === undefined || raw === null) {
      if (options.required) this.missing(key, options.hint);
      return undefined;
    }
    this.wrongType(key, raw, 'a mapping', `Write ${key} as a mapping of keys to values (indented "key: value" lines).`);
    return undefined;
  }

  /** A list of mappings (tables, dimensions, relationships, ...); each item is named through `describe`. */
  list(key: string, describe: Describe, options: FieldOptions = {}): MappingReader[] {
    const raw = this.value[key];
    if (raw === undefined || raw === null) {
      if (options.required) this.missing(key, options.hint);
      return [];
    }
    if (!Array.isArray(raw)) {
      this.wrongType(key, raw, 'a list', `Write ${key} as a YAML list with one "- name: ..." item per entry.`);
      return [];
    }
    const readers: MappingReader[] = [];
    raw.forEach((item, index) => {
      const path = [...this.path, key, index];
      if (isMapping(item)) {
        const name = typeof item.name === 'string' || typeof item.name === 'number' ? String(item.name).trim() || undefined : undefined;
        readers.push(new MappingReader(this.source, item, path, describe(name, index)));
        return;
      }
      this.source.report(
        'error',
        'wrong_type',
        `Item ${index + 1} of "${key}" in ${this.owner} must be a mapping, not ${describeType(item)}.`,
        `Write each item of ${key} as "- name: ..." followed by its other keys, indented under it.`,
        this.source.locate(path),
      );
    });
    return readers;
  }

  error(code: string, message: string, hint: string | undefined, location: SourceLocation = this.location): void {
    this.source.report('error', code, message, hint, location);
  }

  warning(code: string, message: string, hint: string | undefined, location: SourceLocation = this.location): void {
    this.source.report('warning', code, message, hint, location);
  }

  private missing(key: string, hint: string | undefined): void {
    this.error('missing_key', `${capitalize(this.owner)} has no "${key}".`, hint ?? `Add "${key}" to it.`);
  }

  private wrongType(key: string, raw: unknown, expected: string, hint: string): void {
    this.error('wrong_type', `"${key}" of ${this.owner} must be ${expected}, not ${describeType(raw)}.`, hint, this.locationOf(key));
  }
}
