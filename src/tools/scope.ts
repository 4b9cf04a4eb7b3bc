import type { Catalog } from '../catalog/index.js';
import type { AppContext } from '../context.js';
import { StratumError, didYouMean } from '../errors.js';
import type { SemanticModel } from '../semantic/index.js';
import { narrowModel, scopedModels, type ToolScope } from '../subagents/index.js';

/** The datasource a call uses: the one asked for, or under a scope the scope's own (another is refused). */
export function datasourceFor(scope: ToolScope | undefined, requested: string | undefined): string | undefined {
  return scope ? scope.datasource(requested) : requested;
}

/**
 * The semantic models a server may show, narrowed to the scope's tables and metrics; a verified
 * query whose SQL would be refused by the scope is left out (all of them when that cannot be checked).
 */
export async function visibleModels(context: AppContext, scope: ToolScope | undefined): Promise<SemanticModel[]> {
  const models = scopedModels(context.semantic.list(), scope).map((model) => narrowModel(model, scope, context.defaultSchema()));
  if (!scope) return models;
  const connector = await context.connector(scope.datasource()).catch(() => undefined);
  const inScope = async (sql: string) => (connector ? scope.checkSql(sql, connector).then(() => true, () => false) : false);
  return Promise.all(
    models.map(async (model) => {
      const kept = await Promise.all(model.verifiedQueries.map((query) => inScope(query.sql)));
      return { ...model, verifiedQueries: model.verifiedQueries.filter((_, index) => kept[index]) };
    }),
  );
}

/**
 * The model a call names (or the first one the server may show), narrowed to the scope; a model
 * outside the scope is refused by name.
 */
export async function chooseVisibleModel(context: AppContext, scope: ToolScope | undefined, name: string | undefined): Promise<SemanticModel | undefined> {
  if (!scope) return name ? context.semantic.get(name) : context.semantic.list()[0];
  const visible = await visibleModels(context, scope);
  const model = name ? visible.find((candidate) => candidate.name.toLowerCase() === name.toLowerCase()) : visible[0];
  if (model) return model;
  throw new StratumError(
    'SCOPE_VIOLATION',
    name ? `Semantic model "${name}" is outside the "${scope.subagent.name}" subagent's scope.` : `The "${scope.subagent.name}" subagent has no semantic models.`,
    visible.length ? `Models in scope: ${visible.map((candidate) => candidate.name).join(', ')}.` : 'Write SQL over the tables in scope instead (search_tables, run_sql).',
  );
}

/**
 * A table name as a scoped server may describe it: matched among the tables in scope only (full or
 * bare name, any case), so neither the answer nor a "did you mean" reveals a table outside it.
 */
export async function scopedTableName(catalog: Catalog, scope: ToolScope, requested: string): Promise<string> {
  const allowed = (await catalog.listTables()).map((table) => table.name).filter(scope.allowsTable);
  const wanted = requested.toLowerCase();
  const matches = allowed.filter((name) => name.toLowerCase() === wanted || name.toLowerCase().endsWith(`.${wanted}`));
  if (matches.length === 1) return matches[0]!;
  throw new StratumError(
    'SCOPE_VIOLATION',
    matches.length > 1 ? `"${requested}" names several tables in scope: ${matches.join(', ')}.` : `Table "${requested}" is not in the "${scope.subagent.name}" subagent's scope.${didYouMean(requested, allowed)}`,
    `Tables in scope: ${allowed.join(', ') || 'none'}.`,
  );
}
