import type { DatasourceConfig } from '../config/index.js';
import type { Connector } from './types.js';

export type * from './types.js';
export { ResultBudget } from './budget.js';
export { tablesInParseTree } from './duckdb/references.js';

/** Builds the connector for a datasource. Engines load on demand so start-up stays fast. */
export async function createConnector(name: string, config: DatasourceConfig): Promise<Connector> {
  switch (config.type) {
    case 'duckdb': {
      const { DuckDBConnector } = await import('./duckdb/connector.js');
      return new DuckDBConnector(name, config);
    }
    case 'postgres': {
      const { PostgresConnector } = await import('./postgres/connector.js');
      return new PostgresConnector(name, config);
    }
  }
}
