import type { DuckDBInstance, DuckDBPreparedStatement } from '@duckdb/node-api';
import { tablesInParseTree, type Connector } from '../connectors/index.js';

export type TablesMethod = 'connector' | 'duckdb_parser' | 'regex';

export interface ExtractedTables {
  tables: string[];
  method: TablesMethod;
}

/**
 * The tables a statement reads, as `schema.table`, by the best means available:
 *  1. the datasource's connector (`referencedTables`: the engine binds the statement, so names are exact);
 *  2. DuckDB's parser alone (`json_serialize_sql` on an empty in-memory database), for SQL whose tables
 *     the datasource lacks or written for another engine; MySQL/SQLite backtick quoting becomes double quotes;
 *  3. a FROM/JOIN scan of the text for what no parser accepts (e.g. SQLite's `LIMIT a, b`), CTE names left out.
 */
export class TableExtractor {
  private parser: Promise<{ instance: DuckDBInstance; statement: DuckDBPreparedStatement }> | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly connector?: Connector,
    private readonly defaultSchema = 'main',
  ) {}

  async extract(sql: string): Promise<ExtractedTables> {
    if (this.connector) {
      try {
        return { tables: await this.connector.referencedTables(sql), method: 'connector' };
      } catch {
        // Not bindable on this datasource (unknown table, other dialect): read the text instead.
      }
    }
    const parsed = await this.parse(sql.replace(/`([^`]*)`/g, (_, name: string) => `"${name.replace(/"/g, '""')}"`));
    if (parsed) return { tables: parsed, method: 'duckdb_parser' };
    return { tables: tablesByScan(sql, this.defaultSchema), method: 'regex' };
  }

  private parse(sql: string): Promise<string[] | undefined> {
    if (!this.parser) {
      this.parser = (async () => {
        const { DuckDBInstance } = await import('@duckdb/node-api');
        const instance = await DuckDBInstance.create(':memory:', { enable_external_access: 'false', autoload_known_extensions: 'false', lock_configuration: 'true' });
        const connection = await instance.connect();
        return { instance, statement: await connection.prepare('SELECT json_serialize_sql($1::VARCHAR)') };
      })();
    }
    const parser = this.parser;
    const run = this.queue.then(async () => {
      const { statement } = await parser;
      statement.bindVarchar(1, sql);
      const tree = JSON.parse(String((await statement.runAndReadAll()).getRows()[0]?.[0])) as { error?: boolean; statements?: unknown[] };
      if (tree.error || !tree.statements?.length) return undefined;
      return tablesInParseTree(tree, this.defaultSchema);
    });
    this.queue = run.catch(() => undefined);
    return run.catch(() => undefined);
  }

  async close(): Promise<void> {
    const parser = this.parser;
    this.parser = undefined;
    await this.queue;
    const opened = await parser?.catch(() => undefined);
    opened?.statement.destroySync();
    opened?.instance.closeSync();
  }
}

const IDENTIFIER = String.raw`(?:"(?:[^"]|"")+"|\x60[^\x60]+\x60|\[[^\]]+\]|[A-Za-z_][\w$]*)`;
const TABLE_AFTER_KEYWORD = new RegExp(String.raw`\b(?:from|join)\s+(${IDENTIFIER}(?:\s*\.\s*${IDENTIFIER}){0,2})`, 'gi');
const CTE_NAME = new RegExp(String.raw`(?:\bwith(?:\s+recursive)?|,)\s*(${IDENTIFIER})\s*(?:\([^)]*\)\s*)?as\s*(?:not\s+)?(?:materialized\s*)?\(`, 'gi');

/** The documented last resort: names after FROM and JOIN, unquoted, minus CTE names and table functions. */
export function tablesByScan(sql: string, defaultSchema = 'main'): string[] {
  const text = sql.replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, ' ').replace(/'(?:[^']|'')*'/g, "''");
  const unquote = (part: string) => part.trim().replace(/^["`[]|["`\]]$/g, '');
  const ctes = new Set([...text.matchAll(CTE_NAME)].map((match) => unquote(match[1]!).toLowerCase()));
  const names = new Map<string, string>();
  for (const match of text.matchAll(TABLE_AFTER_KEYWORD)) {
    const after = text.slice(match.index! + match[0].length).trimStart();
    if (after.startsWith('(')) continue;
    const parts = [...match[1]!.matchAll(new RegExp(IDENTIFIER, 'g'))].map((part) => unquote(part[0]));
    if (parts.length === 1 && ctes.has(parts[0]!.toLowerCase())) continue;
    const name = parts.length === 1 ? `${defaultSchema}.${parts[0]}` : parts.join('.');
    names.set(name.toLowerCase(), name);
  }
  return [...names.values()].sort();
}
