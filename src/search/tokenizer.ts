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

function stem(word: string): string {
  let cached = stems.get(word);
  if (cached === undefined) {
    cached = /^\d/.test(word) ? word : stemmer(word);
    if (stems.size > 200_000) stems.clear();
    stems.set(word, cached);
  }
  return cached;
}

/** Raw words of a text or identifier, lower case, before stop words and stemming. */
export function splitWords(text: string): string[] {
  return text
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .replace(/([A-Za-z])(\d)/g, '$1 $2')
    .replace(/(\d)([A-Za-z]{2,})/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word.length > 0);
}

/** Normalised terms of a text: the index and the queries go through the same function. */
export function tokenize(text: string, options: { identifier?: boolean } = {}): string[] {
  const terms: string[] = [];
  for (const raw of splitWords(text)) {
    const word = ABBREVIATIONS[raw] ?? raw;
    if (STOP_WORDS.has(word) && !(options.identifier && KEPT_IN_IDENTIFIERS.has(word))) continue;
    if (word.length === 1 && !/\d/.test(word)) continue;
    terms.push(stem(word));
  }
  return terms;
}

/** Terms of identifiers: names keep words that are stop words in prose. */
export function tokenizeIdentifier(text: string): string[] {
  return tokenize(text, { identifier: true });
}
