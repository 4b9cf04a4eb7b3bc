import { closestNames } from '../../errors.js';
import type { ParseOptions, ProblemSeverity, SemanticProblem, SourceLocation } from '../ir.js';
import { locatedProblem } from '../validate.js';
import type { LocatedDocument } from '../yaml.js';

/** Everything one `parseMetricFlow` call shares: options and the problems found so far. */
export class ParseContext {
  readonly problems: SemanticProblem[] = [];
  private readonly seen = new Set<string>();

  constructor(
    readonly options: ParseOptions,
    /** The model's file or folder; messages name files relative to the folder that holds it. */
    readonly modelPath: string,
  ) {}

  /** True the first time `key` is asked for: for problems reported once per model. */
  firstTime(key: string): boolean {
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    return true;
  }

  report(severity: ProblemSeverity, code: string, text: string, location: SourceLocation | undefined, hint?: string, suggestions: readonly string[] = []): void {
    this.problems.push(locatedProblem({ severity, code, text, location, modelPath: this.modelPath, hint, suggestions }));
  }

  error(code: string, text: string, location: SourceLocation | undefined, hint?: string, suggestions: readonly string[] = []): void {
    this.report('error', code, text, location, hint, suggestions);
  }

  warning(code: string, text: string, location: SourceLocation | undefined, hint?: string, suggestions: readonly string[] = []): void {
    this.report('warning', code, text, location, hint, suggestions);
  }
}

type Path = readonly (string | number)[];

function kindOf(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `text "${value}"`;
  return `${typeof value} ${String(value)}`;
}

/**
 * A value inside a located YAML document, with typed accessors that report a problem (never throw)
 * when the value has the wrong shape. `what` names the owner in messages: `metric "revenue"`.
 */
export class YamlValue {
  constructor(
    readonly context: ParseContext,
    readonly document: LocatedDocument,
    readonly path: Path,
    readonly value: unknown,
  ) {}

  get location(): SourceLocation {
    return this.document.locate(this.path);
  }

  isMap(): boolean {
    return typeof this.value === 'object' && this.value !== null && !Array.isArray(this.value);
  }

  keys(): string[] {
    return this.isMap() ? Object.keys(this.value as object) : [];
  }

  has(key: string): boolean {
    return this.isMap() && (this.value as Record<string, unknown>)[key] !== undefined && (this.value as Record<string, unknown>)[key] !== null;
  }

  /** The child at `key`, or undefined when absent or null. */
  get(key: string): YamlValue | undefined {
    if (!this.has(key)) return undefined;
    return new YamlValue(this.context, this.document, [...this.path, key], (this.value as Record<string, unknown>)[key]);
  }

  /** Where `key:` itself is written. */
  keyAt(key: string): SourceLocation {
    return this.document.locateKey([...this.path, key]);
  }

  /** Where the child's value is written (the owner's position when absent). */
  at(key: string): SourceLocation {
    return this.has(key) ? this.document.locate([...this.path, key]) : this.location;
  }

  /** The child at `key` as a mapping; reports and returns undefined for any other shape. */
  map(key: string, what: string): YamlValue | undefined {
    const child = this.get(key);
    if (!child) return undefined;
    if (child.isMap()) return child;
    this.context.error('invalid_value', `Expected a mapping for "${key}" in ${what}, got ${kindOf(child.value)}`, child.location, `Write "${key}:" followed by indented "key: value" lines.`);
    return undefined;
  }

  /** Items of a list child; a single mapping or scalar is not a list and is reported. */
  list(key: string, what: string): YamlValue[] {
    const child = this.get(key);
    if (!child) return [];
    if (!Array.isArray(child.value)) {
      this.context.error('invalid_value', `Expected a list for "${key}" in ${what}, got ${kindOf(child.value)}`, child.location, `Write each entry of "${key}" on its own line starting with "- ".`);
      return [];
    }
    return child.items();
  }

  items(): YamlValue[] {
    if (!Array.isArray(this.value)) return [];
    return this.value.map((item, index) => new YamlValue(this.context, this.document, [...this.path, index], item));
  }

  /** A scalar as text (numbers and booleans too, e.g. `expr: 1`). */
  asText(what: string, key: string): string | undefined {
    const value = this.value;
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    this.context.error('invalid_value', `Expected text for "${key}" in ${what}, got ${kindOf(value)}`, this.location, `Give "${key}" a single value on the same line.`);
    return undefined;
  }

  text(key: string, what: string): string | undefined {
    return this.get(key)?.asText(what, key);
  }

  /** A required scalar; reports `missing_key` when absent. */
  requiredText(key: string, what: string, hint?: string): string | undefined {
    if (!this.has(key)) {
      this.context.error('missing_key', `Missing required "${key}" in ${what}`, this.location, hint ?? `Add "${key}:" to ${what}.`);
      return undefined;
    }
    return this.text(key, what);
  }

  bool(key: string, what: string): boolean | undefined {
    const child = this.get(key);
    if (!child) return undefined;
    if (typeof child.value === 'boolean') return child.value;
    if (typeof child.value === 'string' && /^(true|false)$/i.test(child.value)) return child.value.toLowerCase() === 'true';
    this.context.error('invalid_value', `Expected true or false for "${key}" in ${what}, got ${kindOf(child.value)}`, child.location, `Write "${key}: true" or "${key}: false".`);
    return undefined;
  }

  number(key: string, what: string): number | undefined {
    const child = this.get(key);
    if (!child) return undefined;
    const value = typeof child.value === 'string' && child.value.trim() !== '' ? Number(child.value) : child.value;
    if (typeof value === 'number' && Number.isFinite(value)) return value;
    this.context.error('invalid_value', `Expected a number for "${key}" in ${what}, got ${kindOf(child.value)}`, child.location, `Write a number, e.g. "${key}: 0".`);
    return undefined;
  }

  /** Text or a list of texts (MetricFlow accepts both for `filter` and `where`). */
  texts(key: string, what: string): string[] {
    const child = this.get(key);
    if (!child) return [];
    if (!Array.isArray(child.value)) {
      const single = child.asText(what, key);
      return single === undefined ? [] : [single.trim()];
    }
    return child
      .items()
      .map((item) => item.asText(what, key)?.trim())
      .filter((item): item is string => item !== undefined);
  }

  /** One of `allowed`, compared case-insensitively (MetricFlow accepts `SUM` and `sum`). */
  choice<T extends string>(key: string, allowed: readonly T[], what: string, code: string): T | undefined {
    const child = this.get(key);
    if (!child) return undefined;
    const raw = child.asText(what, key);
    if (raw === undefined) return undefined;
    const found = allowed.find((option) => option === raw.trim().toLowerCase());
    if (found) return found;
    this.context.error(code, `Unknown ${key} "${raw}" in ${what}`, child.location, `Use one of: ${allowed.join(', ')}.`, closestNames(raw.toLowerCase(), allowed));
    return undefined;
  }

  /**
   * Warns about keys MetricFlow would not accept here, with a suggestion. Keys MetricFlow accepts
   * but Stratum does not use belong in `known` so they pass silently.
   */
  checkKeys(known: readonly string[], what: string): void {
    for (const key of this.keys()) {
      if (known.includes(key)) continue;
      this.context.warning('unknown_key', `Unknown key "${key}" in ${what}`, this.keyAt(key), `Known keys here: ${known.join(', ')}.`, closestNames(key, known));
    }
  }
}
