import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { StratumError } from '../errors.js';
import type { TableExtractor, TablesMethod } from './tables.js';
import type { KnowledgeStore, NewHistoryEntry } from './types.js';

/** A statement read from a history file, before its tables are known. */
export interface HistoryStatement {
  sql: string;
  question?: string;
  note?: string;
  file: string;
  line: number;
}

/**
 * Statements of a SQL file, each with the comment written directly above it: the first comment
 * line is the question, the rest a note. Splits on `;` outside quotes and comments.
 */
export function readSqlStatements(text: string, file: string): HistoryStatement[] {
  const statements: HistoryStatement[] = [];
  let comments: string[] = [];
  let start = -1;
  let line = 1;
  let startLine = 1;
  let pendingComments: string[] = [];
  const finish = (end: number) => {
    const sql = text.slice(start, end).trim();
    if (sql) {
      const [question, ...note] = pendingComments;
      statements.push({ sql, file, line: startLine, ...(question ? { question } : {}), ...(note.length ? { note: note.join('\n') } : {}) });
    }
    start = -1;
    pendingComments = [];
  };
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (char === '\n') {
      line++;
      continue;
    }
    if (char === '-' && text[i + 1] === '-') {
      const end = text.indexOf('\n', i);
      const body = text.slice(i + 2, end === -1 ? text.length : end).trim();
      if (start === -1 && body) comments.push(body);
      i = (end === -1 ? text.length : end) - 1;
      continue;
    }
    if (char === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end === -1 ? text.length : end + 2;
      const body = text.slice(i + 2, end === -1 ? text.length : end);
      if (start === -1) comments.push(...body.split('\n').map((part) => part.replace(/^\s*\*?\s?/, '').trim()).filter(Boolean));
      line += (text.slice(i, stop).match(/\n/g) ?? []).length;
      i = stop - 1;
      continue;
    }
    if (/\s/.test(char)) continue;
    if (start === -1) {
      if (char === ';') {
        comments = [];
        continue;
      }
      start = i;
      startLine = line;
      pendingComments = comments;
      comments = [];
    }
    if (char === "'" || char === '"' || char === '`') {
      let j = i + 1;
      while (j < text.length && !(text[j] === char && text[j + 1] !== char)) j += text[j] === char ? 2 : 1;
      line += (text.slice(i, j).match(/\n/g) ?? []).length;
      i = j;
      continue;
    }
    if (char === ';') finish(i);
  }
  if (start !== -1) finish(text.length);
  return statements;
}

/** RFC 4180 CSV: quoted fields may hold commas, doubled quotes and newlines. Returns rows of cells. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(cell);
      cell = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += char;
  }
  if (cell !== '' || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return rows.filter((cells) => cells.some((value) => value.trim() !== ''));
}

const SQL_COLUMNS = ['sql', 'gold_sql', 'query', 'statement'];
const QUESTION_COLUMNS = ['question', 'nl', 'prompt', 'comment'];

/** question,sql rows (the way Datus keeps success stories); `gold_sql`/`query` are accepted for the SQL column. */
export function readCsvStatements(text: string, file: string): HistoryStatement[] {
  const [header, ...rows] = parseCsv(text.replace(/^\uFEFF/, ''));
  const columns = (header ?? []).map((name) => name.trim().toLowerCase());
  const sqlColumn = columns.findIndex((name) => SQL_COLUMNS.includes(name));
  const questionColumn = columns.findIndex((name) => QUESTION_COLUMNS.includes(name));
  if (sqlColumn === -1) {
    throw new StratumError('INVALID_ARGUMENT', `${file}: no SQL column in the header (${columns.join(', ') || 'empty'}).`, `Name the columns question,sql (accepted for the SQL: ${SQL_COLUMNS.join(', ')}).`);
  }
  return rows.flatMap((cells, index) => {
    const sql = cells[sqlColumn]?.trim().replace(/;\s*$/, '');
    if (!sql) return [];
    const question = questionColumn === -1 ? undefined : cells[questionColumn]?.trim();
    return [{ sql, file, line: index + 2, ...(question ? { question } : {}) }];
  });
}

/** The .sql and .csv files a path names: itself, or every one under a folder, in name order. */
export function historyFiles(path: string): string[] {
  if (!existsSync(path)) throw new StratumError('INVALID_ARGUMENT', `No file or folder at ${path}.`, 'Pass .sql files, .csv files (question,sql) or folders holding them.');
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .filter((entry) => !entry.name.startsWith('.'))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((entry) => {
      const child = join(path, entry.name);
      if (entry.isDirectory()) return historyFiles(child);
      return ['.sql', '.csv'].includes(extname(entry.name).toLowerCase()) ? [child] : [];
    });
}

export function readHistoryFile(file: string): HistoryStatement[] {
  const text = readFileSync(file, 'utf8');
  return extname(file).toLowerCase() === '.csv' ? readCsvStatements(text, file) : readSqlStatements(text, file);
}

export interface HistoryImportReport {
  files: number;
  statements: number;
  inserted: number;
  merged: number;
  tablesBy: Record<TablesMethod, number>;
  withoutTables: number;
  entries: NewHistoryEntry[];
}

/**
 * Reads statements from files and folders, finds their tables, and adds them to the store in
 * batches (one transaction each), reporting progress after every batch.
 */
export async function importHistory(
  paths: string[],
  options: { store: KnowledgeStore; tables: TableExtractor; datasource?: string; batchSize?: number; onProgress?: (done: number, total: number) => void },
): Promise<HistoryImportReport> {
  const files = paths.flatMap(historyFiles);
  const statements = files.flatMap(readHistoryFile);
  const report: HistoryImportReport = { files: files.length, statements: statements.length, inserted: 0, merged: 0, tablesBy: { connector: 0, duckdb_parser: 0, regex: 0 }, withoutTables: 0, entries: [] };
  const batchSize = options.batchSize ?? 500;
  for (let offset = 0; offset < statements.length; offset += batchSize) {
    const batch: NewHistoryEntry[] = [];
    for (const statement of statements.slice(offset, offset + batchSize)) {
      const { tables, method } = await options.tables.extract(statement.sql);
      report.tablesBy[method]++;
      if (tables.length === 0) report.withoutTables++;
      batch.push({
        sql: statement.sql,
        tables,
        tablesMethod: method,
        sourceFile: statement.file,
        sourceLine: statement.line,
        ...(statement.question ? { question: statement.question } : {}),
        ...(statement.note ? { note: statement.note } : {}),
        ...(options.datasource ? { datasource: options.datasource } : {}),
      });
    }
    const { inserted, merged } = await options.store.addHistory(batch);
    report.inserted += inserted;
    report.merged += merged;
    report.entries.push(...batch);
    options.onProgress?.(Math.min(offset + batchSize, statements.length), statements.length);
  }
  return report;
}
