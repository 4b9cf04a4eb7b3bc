import { stemmer } from 'stemmer';

/**
 * The tokenizer shared by the index and the queries: identifiers are split into words
 * (snake_case, camelCase, digits), common abbreviations are spelled out, stop words dropped,
 * and words stemmed (Porter, from the `stemmer` package) so "orders" meets "order".
 */

const ABBREVIATIONS: Record<string, string> = {
  qty: 'quantity',
  amt: 'amount',
  num: 'number',
  nbr: 'number',
  dt: 'date',
  ts: 'timestamp',
  acct: 'account',
  cust: 'customer',
  addr: 'address',
  desc: 'description',
  prod: 'product',
  cat: 'category',
  emp: 'employee',
  dept: 'department',
  avg: 'average',
  cnt: 'count',
  pct: 'percent',
  yr: 'year',
  mgr: 'manager',
  txn: 'transaction',
  trx: 'transaction',
  org: 'organization',
  qtr: 'quarter',
  tel: 'telephone',
  loc: 'location',
  src: 'source',
  dst: 'destination',
  std: 'standard',
  info: 'information',
  stat: 'statistic',
  stats: 'statistics',
  cty: 'city',
  ctry: 'country',
  st: 'state',
  zip: 'zipcode',
};

export const STOP_WORDS = new Set(
  `a an the of for in on at by with to from into onto and or nor but is are was were be been being am do does did doing have has had
   having it its it's this that these those there here their they them theirs we our ours you your yours he she his her him i me my
   what which who whom whose when where why how many much all any each every some such than then so as if not no only also very
   can could would should will shall may might must just about above below over under between among per via
   show list give find get return tell please display provide name names`
    .split(/\s+/)
    .filter(Boolean),
);

// Words that are stop words in prose but carry meaning in a schema ("name" column, "no" = number).
const KEPT_IN_IDENTIFIERS = new Set(['name', 'names', 'no', 'number', 'count']);

const stems = new Map<string, string>();

/** Porter stem of a lower-case word (numbers stay as they are); memoised, words repeat a lot. */
export function stem(word: string): string {
  let cached = stems.get(word);
  if (cached === undefined) {
    cached = /^\d/.test(word) ? word : stemmer(word);
    if (stems.size > 200_000) stems.clear();
    stems.set(word, cached);
  }
  return cached;
}

// A run: ASCII letters and digits, and any non-ASCII character (so lower-casing sees it as before).
// The word splitting below never crosses a run's borders, so each run is split once and remembered.
const CACHE_LIMIT = 100_000;
const runWords = new Map<string, string[]>();
const runTerms = [new Map<string, string[]>(), new Map<string, string[]>()];

function wordsOfRun(run: string): string[] {
  let words = runWords.get(run);
  if (words === undefined) {
    words = run
      .replace(/([a-z])([A-Z])/g, '$1 $2')
      .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
      .replace(/([A-Za-z])(\d)/g, '$1 $2')
      .replace(/(\d)([A-Za-z]{2,})/g, '$1 $2')
      .toLowerCase()
      .split(/[^a-z0-9]+/)
      .filter((word) => word.length > 0);
    if (runWords.size > CACHE_LIMIT) runWords.clear();
    runWords.set(run, words);
  }
  return words;
}

function inRun(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 48 && code <= 57) || code >= 0x80;
}

/** Calls `visit` with each run of the text, scanning by hand: no regex. */
function forEachRun(text: string, visit: (run: string) => void): void {
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    if (inRun(text.charCodeAt(i))) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      visit(text.slice(start, i));
      start = -1;
    }
  }
  if (start >= 0) visit(start === 0 ? text : text.slice(start));
}

/** Raw words of a text or identifier, lower case, before stop words and stemming. */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  forEachRun(text, (run) => {
    for (const word of wordsOfRun(run)) words.push(word);
  });
  return words;
}

function termsOfRun(run: string, identifier: boolean): string[] {
  const cache = runTerms[identifier ? 1 : 0]!;
  let terms = cache.get(run);
  if (terms === undefined) {
    terms = [];
    for (const raw of wordsOfRun(run)) {
      const word = Object.hasOwn(ABBREVIATIONS, raw) ? ABBREVIATIONS[raw]! : raw;
      if (STOP_WORDS.has(word) && !(identifier && KEPT_IN_IDENTIFIERS.has(word))) continue;
      if (word.length === 1 && !/\d/.test(word)) continue;
      terms.push(stem(word));
    }
    if (cache.size > CACHE_LIMIT) cache.clear();
    cache.set(run, terms);
  }
  return terms;
}

/** Normalised terms of a text: the index and the queries go through the same function. */
export function tokenize(text: string, options: { identifier?: boolean } = {}): string[] {
  return appendTerms([], text, options.identifier === true);
}

/** Terms of identifiers: names keep words that are stop words in prose. */
export function tokenizeIdentifier(text: string): string[] {
  return appendTerms([], text, true);
}

/** Appends the terms of a text to `target` (what `tokenize` returns, without an array per call); returns `target`. */
export function appendTerms(target: string[], text: string, identifier: boolean): string[] {
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    if (inRun(text.charCodeAt(i))) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      for (const term of termsOfRun(text.slice(start, i), identifier)) target.push(term);
      start = -1;
    }
  }
  if (start >= 0) for (const term of termsOfRun(start === 0 ? text : text.slice(start), identifier)) target.push(term);
  return target;
}
