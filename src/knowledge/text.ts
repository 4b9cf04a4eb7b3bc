import { createHash } from 'node:crypto';
import { stemmer } from 'stemmer';

/**
 * Question normalisation for lexical matching without a model: phrases and words that say the same
 * thing in analytics questions collapse to one token, then stop words go and the rest is stemmed.
 */

const PHRASES: [RegExp, string][] = [
  [/\bhow many\b|\bnumber of\b|\bcount of\b|\bamount of\b|\bquantity of\b/g, ' count '],
  [/\b(?:greater|more|higher|larger|bigger) than\b|\babove\b|\bexceed(?:s|ing)?\b|\bover\b/g, ' gt '],
  [/\b(?:less|fewer|lower|smaller) than\b|\bbelow\b|\bunder\b/g, ' lt '],
  [/\bon average\b/g, ' average '],
  [/\bin total\b|\baltogether\b/g, ' total '],
  [/\bpercent(?:age)? of\b|\bshare of\b|\bproportion of\b|\bratio of\b/g, ' percent '],
  [/\bzip code\b|\bpostal code\b|\bpostcode\b/g, ' zip '],
  [/\bphone number\b|\btelephone number\b/g, ' phone '],
];

const SYNONYMS = new Map<string, string>();
for (const [canonical, words] of Object.entries({
  count: 'count counts number numbers many tally',
  max: 'highest largest biggest greatest maximum max top most best peak',
  min: 'lowest smallest least minimum min fewest bottom worst',
  avg: 'average averages mean avg',
  sum: 'total totals sum summed overall combined',
  percent: 'percent percentage percentages proportion ratio share',
  customer: 'customer customers client clients buyer buyers purchaser purchasers consumer consumers',
  revenue: 'revenue revenues sales income turnover earnings',
  order: 'rank ranked ranking sort sorted order ordered descending ascending',
  phone: 'phone telephone',
  year: 'year years annual yearly annually',
  month: 'month months monthly',
  day: 'day days daily',
  female: 'female females woman women',
  male: 'male males man men',
  city: 'city cities town towns',
  people: 'person persons people individual individuals',
  id: 'id ids identifier identifiers',
  distinct: 'distinct different unique',
})) {
  for (const word of words.split(' ')) SYNONYMS.set(word, canonical);
}

// Words that carry no content in a question to a database ("please list the ..."), plus common English stop words.
const STOP_WORDS = new Set(
  (
    'a an the of in on at to for from by with and or as is are was were be been being do does did has have had it its this that these those there their ' +
    'what which who whom whose when where why how please list show give display find return get provide tell identify state indicate mention ' +
    'me us we our you your i all any each every some among between into than then also only just ' +
    'can could would should will shall may might must per whether if not no yes such'
  ).split(' '),
);

/** Normalised tokens of a question: canonical synonyms, stems, numbers as `#n`. */
export function questionTokens(text: string): string[] {
  let normal = text
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .replace(/['’]s\b/g, '');
  for (const [pattern, replacement] of PHRASES) normal = normal.replace(pattern, replacement);
  const tokens: string[] = [];
  for (const word of normal.split(/[^a-z0-9.]+/)) {
    const clean = word.replace(/^\.+|\.+$/g, '');
    if (!clean || STOP_WORDS.has(clean)) continue;
    if (/^\d+(?:\.\d+)?$/.test(clean)) {
      tokens.push(`#${clean}`);
      continue;
    }
    for (const part of clean.split('.')) {
      if (!part || STOP_WORDS.has(part)) continue;
      const canonical = SYNONYMS.get(part);
      tokens.push(canonical ?? stemmer(part));
    }
  }
  return tokens;
}

/**
 * A statement's text with formatting and comments removed, keywords and unquoted identifiers
 * lowercased, literals kept: two statements that differ only in layout or case share it.
 */
export function normaliseSql(sql: string): string {
  const tokens: string[] = [];
  const pattern = /'(?:[^']|'')*'?|"(?:[^"]|"")*"?|`[^`]*`?|--[^\n]*|\/\*[\s\S]*?(?:\*\/|$)|\s+|[\w$.]+|[^\s]/g;
  for (const [token] of sql.matchAll(pattern)) {
    if (/^\s/.test(token) || token.startsWith('--') || token.startsWith('/*')) continue;
    if (token.startsWith("'") || token.startsWith('"')) tokens.push(token);
    else if (token.startsWith('`')) tokens.push(`"${token.replace(/^`|`$/g, '').replace(/"/g, '""')}"`);
    else tokens.push(token.toLowerCase());
  }
  while (tokens[tokens.length - 1] === ';') tokens.pop();
  return tokens.join(' ');
}

/** Identity of a statement for de-duplication: a hash of its normalised text. */
export function sqlFingerprint(sql: string): string {
  return createHash('sha256').update(normaliseSql(sql)).digest('hex').slice(0, 32);
}

/** Key of the embedding cache: a hash of the exact text embedded. */
export function contentHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
