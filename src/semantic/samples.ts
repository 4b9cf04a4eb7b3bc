import type { Catalog } from '../catalog/index.js';
import type { SemanticModel } from './ir.js';

/** Values of one physical column, e.g. from the datasource catalog's samples. */
export type ColumnSamples = (physicalTable: string, column: string) => Promise<string[]>;

const PLAIN_COLUMN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Fills sample values of categorical dimensions that are plain columns and have none in the YAML
 * (MetricFlow never has them), so the prompt can show real filter literals. A lookup failure
 * leaves the dimension as it was.
 */
export async function withColumnSamples(model: SemanticModel, samples: ColumnSamples): Promise<SemanticModel> {
  const tables = await Promise.all(
    model.tables.map(async (table) => {
      const physical = [table.physical.schema, table.physical.table].filter(Boolean).join('.');
      const dimensions = await Promise.all(
        table.dimensions.map(async (dimension) => {
          if (dimension.kind !== 'categorical' || dimension.sampleValues.length > 0 || !PLAIN_COLUMN.test(dimension.expr)) return dimension;
          const values = await samples(physical, dimension.expr).catch(() => []);
          return values.length ? { ...dimension, sampleValues: values } : dimension;
        }),
      );
      return { ...table, dimensions };
    }),
  );
  return { ...model, tables };
}

/** Sample values from a datasource catalog (frequent values of text columns, read when a table is first described). */
export function catalogSamples(catalog: Catalog): ColumnSamples {
  return async (table, column) => {
    const detail = await catalog.describeTable(table);
    return (detail.columns.find((c) => c.name === column)?.samples ?? []).map(String);
  };
}
