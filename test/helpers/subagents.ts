import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { createShopDatabase, writeConfig } from './fixture.js';

/** The `sales` subagent: orders and the completed_orders view, never customers or wide_text. */
export const SALES_SUBAGENT = `name: sales
description: Order volumes and amounts for the sales team
instructions: |
  You answer questions about orders and their amounts.
rules:
  - Cancelled orders never count as sales.
tools: [list_tables, describe_table, run_sql, search_tables, record_feedback]
scope:
  datasource: shop
  tables: [main.orders, "main.completed_*"]
examples:
  - question: How many completed orders are there?
    sql: SELECT count(*) AS orders FROM main.completed_orders
`;

/**
 * The shop database plus macros that read a table (scalar and table macros, which a scope must see
 * through), stratum.yaml with `subagents.paths`, and the sales subagent. Returns the config path.
 */
export async function createSubagentWorkspace(dir: string, extraSubagents: Record<string, string> = {}): Promise<{ configPath: string; databasePath: string }> {
  const { databasePath } = await createShopDatabase(dir);
  const instance = await DuckDBInstance.create(databasePath);
  const connection = await instance.connect();
  await connection.run(`CREATE MACRO first_customer_name() AS (SELECT min(name) FROM customers)`);
  await connection.run(`CREATE MACRO customers_of(s) AS TABLE SELECT * FROM customers WHERE state = s`);
  await connection.run('CHECKPOINT');
  connection.closeSync();
  instance.closeSync();
  const configPath = writeConfig(dir, databasePath);
  writeFileSync(configPath, `subagents: { paths: [./subagents] }\n${readFileSync(configPath, 'utf8')}`);
  mkdirSync(join(dir, 'subagents'));
  writeFileSync(join(dir, 'subagents', 'sales.yaml'), SALES_SUBAGENT);
  for (const [name, text] of Object.entries(extraSubagents)) writeFileSync(join(dir, 'subagents', `${name}.yaml`), text);
  return { configPath, databasePath };
}
