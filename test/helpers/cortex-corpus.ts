import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { SemanticModel } from '../../src/semantic/ir.js';

/** SOURCE.md of cortex_analyst: the CSVs load positionally into the Snowflake tables; these are its renames. */
const PHYSICAL: Record<string, Record<string, string>> = {
  revenue_timeseries: {
    daily_revenue: `SELECT CAST("DATE" AS DATE) AS date, REVENUE AS revenue, COGS AS cogs, FORECASTED_REVENUE AS forecasted_revenue, Product_id AS product_id, Region_id AS region_id FROM read_csv(?)`,
    product_dim: `SELECT Product_id AS product_id, Product_line AS product_line FROM read_csv(?)`,
    region_dim: `SELECT Region_id AS region_id, Region AS sales_region, State AS state FROM read_csv(?)`,
  },
  sales_and_marketing: { MARKETING_CAMPAIGN_METRICS: 'SELECT * FROM read_csv(?)', PRODUCTS: 'SELECT * FROM read_csv(?)', SALES: 'SELECT * FROM read_csv(?)', SOCIAL_MEDIA: 'SELECT * FROM read_csv(?)' },
};
const CSV_FILES: Record<string, string> = { daily_revenue: 'daily_revenue', product_dim: 'product', region_dim: 'region', MARKETING_CAMPAIGN_METRICS: 'marketing_campaign_metrics', PRODUCTS: 'products', SALES: 'sales', SOCIAL_MEDIA: 'social_media_mentions' };

/**
 * Creates the physical tables a corpus Cortex model names (its database attached in memory when it
 * names one) from the CSVs beside the model file.
 */
export async function loadCortexTables(connection: DuckDBConnection, folder: 'revenue_timeseries' | 'sales_and_marketing', modelPath: string, model: SemanticModel, options: { database: boolean }): Promise<void> {
  const attached = new Set<string>();
  for (const table of model.tables) {
    const { database, schema, table: name } = table.physical;
    const prefix = options.database && database ? `"${database}".` : '';
    if (prefix && !attached.has(database!)) {
      attached.add(database!);
      await connection.run(`ATTACH ':memory:' AS "${database}"`);
    }
    const exists = await connection.runAndReadAll(`SELECT count(*) FROM duckdb_tables() WHERE ${prefix ? `database_name = '${database}' AND ` : ''}schema_name = '${schema}' AND table_name = '${name}'`);
    if (Number(exists.getRows()[0]![0]) > 0) continue;
    await connection.run(`CREATE SCHEMA IF NOT EXISTS ${prefix}"${schema}"`);
    const csv = `'${join(modelPath, '..', 'data', `${CSV_FILES[name]!}.csv`).replaceAll("'", "''")}'`;
    await connection.run(`CREATE TABLE ${prefix}"${schema}"."${name}" AS ${PHYSICAL[folder]![name]!.replace('?', csv)}`);
  }
}
