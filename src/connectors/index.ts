import type { DatasourceConfig } from '../config/index.js';
import { StratumError } from '../errors.js';
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
    case 'postgres':
      throw new StratumError(
        'NOT_IMPLEMENTED',
        `Datasource "${name}" is PostgreSQL, which this version of Stratum does not serve yet.`,
        'Use a DuckDB datasource for now; PostgreSQL support is on the roadmap.',
      );
  }
}
