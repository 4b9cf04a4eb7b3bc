import { TIME_GRANULARITIES, type SavedQuery, type TimeGranularity, type TimeSpine } from '../ir.js';
import { describedFields, granularity } from './fields.js';
import { physicalFromLocation, physicalFromNodeRelation, resolveRef } from './physical.js';
import type { YamlValue } from './reader.js';

const SAVED_QUERY_KEYS = ['name', 'description', 'label', 'query_params', 'exports', 'tags', 'config', 'meta', 'group'];
const QUERY_PARAMS_KEYS = ['metrics', 'group_by', 'where', 'order_by', 'limit'];

/** One `saved_query:` document or `saved_queries:` entry. */
export function readSavedQuery(node: YamlValue): SavedQuery | undefined {
  if (!node.isMap()) {
    node.context.error('invalid_value', 'Expected a mapping for a saved query', node.location, 'Each saved query is a mapping with name and query_params.');
    return undefined;
  }
  const name = node.requiredText('name', 'a saved query', 'Every saved query needs a unique name: add "name: my_query".')?.trim();
  if (!name) return undefined;
  const what = `saved query "${name}"`;
  node.checkKeys(SAVED_QUERY_KEYS, what);
  const params = node.map('query_params', what);
  if (!params) {
    if (!node.has('query_params')) node.context.error('missing_key', `Missing required "query_params" in ${what}`, node.location, 'Add query_params with at least metrics: [...].');
    return undefined;
  }
  const where = `query_params of ${what}`;
  params.checkKeys(QUERY_PARAMS_KEYS, where);
  const limit = params.number('limit', where);
  return {
    name,
    ...describedFields(node, what),
    location: node.location,
    metrics: params.texts('metrics', where),
    groupBy: params.texts('group_by', where),
    where: params.texts('where', where),
    orderBy: params.texts('order_by', where),
    ...(limit !== undefined ? { limit } : {}),
  };
}

/** `project_configuration:` time spines, the current `time_spines` and the legacy `time_spine_table_configurations`. */
export function readProjectConfiguration(node: YamlValue): { timeSpines: TimeSpine[]; customGranularities: string[] } {
  const what = 'project_configuration';
  if (!node.isMap()) {
    node.context.error('invalid_value', 'Expected a mapping for project_configuration', node.location, 'project_configuration holds time_spines: [...].');
    return { timeSpines: [], customGranularities: [] };
  }
  node.checkKeys(['time_spines', 'time_spine_table_configurations', 'metadata', 'dsi_package_version'], what);
  const timeSpines: TimeSpine[] = [];
  for (const item of node.list('time_spines', what)) {
    const spine = readTimeSpine(item);
    if (spine) timeSpines.push(spine);
  }
  for (const item of node.list('time_spine_table_configurations', what)) {
    const where = 'a time_spine_table_configurations entry';
    if (!item.isMap()) continue;
    item.checkKeys(['location', 'column_name', 'grain'], where);
    const location = item.requiredText('location', where);
    const column = item.requiredText('column_name', where)?.trim();
    const grain = granularity(item, 'grain', where);
    if (location === undefined || column === undefined || !grain) continue;
    const physical = physicalFromLocation(item, location, item.at('location'));
    const duplicate = timeSpines.some((spine) => spine.physical.schema === physical.schema && spine.physical.table === physical.table && spine.column === column);
    if (!duplicate) timeSpines.push({ physical, column, granularity: grain, customGranularities: [] });
  }
  return { timeSpines, customGranularities: timeSpines.flatMap((spine) => spine.customGranularities.map((custom) => custom.name.toLowerCase())) };
}

function readTimeSpine(node: YamlValue): TimeSpine | undefined {
  const what = 'a time spine';
  if (!node.isMap()) return undefined;
  node.checkKeys(['node_relation', 'primary_column', 'custom_granularities'], what);
  const relation = node.map('node_relation', what);
  const primary = node.map('primary_column', what);
  if (!relation || !primary) {
    node.context.error('missing_key', `Missing required "${relation ? 'primary_column' : 'node_relation'}" in ${what}`, node.location, 'A time spine needs node_relation: {schema_name, alias} and primary_column: {name, time_granularity}.');
    return undefined;
  }
  const physical = physicalFromNodeRelation(relation, what);
  primary.checkKeys(['name', 'time_granularity'], `primary_column of ${what}`);
  const column = primary.requiredText('name', `primary_column of ${what}`)?.trim();
  const grain = granularity(primary, 'time_granularity', `primary_column of ${what}`);
  if (!physical || !column || !grain) return undefined;
  return { physical, column, granularity: grain, customGranularities: readCustomGranularities(node, what) };
}

function readCustomGranularities(node: YamlValue, what: string): TimeSpine['customGranularities'] {
  return node.list('custom_granularities', what).flatMap((item) => {
    if (!item.isMap()) return [];
    item.checkKeys(['name', 'column_name'], `a custom granularity of ${what}`);
    const name = item.requiredText('name', `a custom granularity of ${what}`)?.trim();
    if (!name) return [];
    return [{ name, column: item.text('column_name', `custom granularity "${name}"`)?.trim() || name }];
  });
}

/**
 * dbt projects declare time spines on a model: `models: [{name, time_spine: {standard_granularity_column,
 * custom_granularities}, columns: [{name, granularity}]}]`. Other model properties are dbt's business.
 */
export function readDbtModelTimeSpines(models: YamlValue): TimeSpine[] {
  const spines: TimeSpine[] = [];
  for (const model of models.items()) {
    const spine = model.isMap() ? model.map('time_spine', 'a dbt model') : undefined;
    if (!spine) continue;
    const name = model.text('name', 'a dbt model')?.trim();
    const what = `time_spine of dbt model "${name ?? '?'}"`;
    spine.checkKeys(['standard_granularity_column', 'custom_granularities'], what);
    const column = spine.requiredText('standard_granularity_column', what)?.trim();
    if (!name || !column) continue;
    const columnGrain = model
      .list('columns', `dbt model "${name}"`)
      .find((item) => item.isMap() && item.text('name', `a column of dbt model "${name}"`)?.trim() === column)
      ?.text('granularity', `column "${column}"`)
      ?.trim()
      .toLowerCase();
    const grain: TimeGranularity = TIME_GRANULARITIES.find((known) => known === columnGrain) ?? 'day';
    const physical = resolveRef(model.context.options, name, `ref('${name}')`);
    spines.push({ physical, column, granularity: grain, customGranularities: readCustomGranularities(spine, what) });
  }
  return spines;
}
