import type { ParseOptions, PhysicalTable } from '../ir.js';
import type { YamlValue } from './reader.js';

const REF = /^\s*(?:\{\{\s*)?ref\s*\(\s*(['"])([^'"]+)\1\s*(?:,\s*(['"])([^'"]+)\3\s*)?(?:,\s*v(?:ersion)?\s*=\s*[^)]*)?\)\s*(?:\}\})?\s*$/;

/** `schema.table` or `db.schema.table` (from `semantic_models.refs`) as a physical table. */
export function splitQualifiedName(name: string, source: string): PhysicalTable {
  const parts = name.split('.').map((part) => part.trim());
  if (parts.length >= 3) return { database: parts.slice(0, -2).join('.'), schema: parts.at(-2)!, table: parts.at(-1)!, source };
  if (parts.length === 2) return { schema: parts[0]!, table: parts[1]!, source };
  return { table: parts[0]!, source };
}

/** Replaces a `$name` placeholder with its configured value, warning once per name when none is configured. */
export function substitutePlaceholder(owner: YamlValue, value: string, location = owner.location): string {
  const match = /^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/.exec(value.trim());
  if (!match) return value;
  const name = match[1]!;
  const mapped = owner.context.options.placeholders[name];
  if (mapped !== undefined) return mapped;
  if (owner.context.firstTime(`placeholder:${name}`)) {
    owner.context.warning(
      'unmapped_placeholder',
      `Schema placeholder "${value.trim()}" has no value`,
      location,
      `Map it in stratum.yaml: semantic_models.placeholders: { ${name}: <schema> }. Until then the table is looked up in a schema literally named "${value.trim()}".`,
    );
  }
  return value;
}

/** dbt project style: `model: ref('orders')` through `semantic_models.refs`, else the default schema. */
export function physicalFromRef(owner: YamlValue, what: string): PhysicalTable | undefined {
  const child = owner.get('model');
  if (!child) return undefined;
  const written = child.asText(what, 'model');
  if (written === undefined) return undefined;
  const match = REF.exec(written);
  if (!match) {
    owner.context.error('invalid_model_reference', `Cannot read model "${written}" in ${what}`, child.location, `Write the dbt model as model: ref('model_name').`);
    return undefined;
  }
  return resolveRef(owner.context.options, match[4] ?? match[2]!, written.trim());
}

/** A dbt model name through `semantic_models.refs`, else a table of that name in the default schema. */
export function resolveRef(options: ParseOptions, name: string, source: string): PhysicalTable {
  const mapped = options.refs[name];
  if (mapped !== undefined) return splitQualifiedName(mapped, source);
  return { schema: options.defaultSchema, table: name, source };
}

/** Manifest style: `node_relation: {schema_name, alias, database?, relation_name?}`. */
export function physicalFromNodeRelation(relation: YamlValue, what: string): PhysicalTable | undefined {
  const where = `node_relation of ${what}`;
  relation.checkKeys(['schema_name', 'alias', 'database', 'relation_name'], where);
  const alias = relation.requiredText('alias', where);
  const schemaWritten = relation.requiredText('schema_name', where);
  if (alias === undefined || schemaWritten === undefined) return undefined;
  const database = relation.text('database', where);
  const relationName = relation.text('relation_name', where);
  const schema = substitutePlaceholder(relation, schemaWritten, relation.at('schema_name'));
  const source = relationName ?? [database, schemaWritten, alias].filter((part) => part !== undefined && part !== '').join('.');
  return { ...(database ? { database } : {}), schema, table: alias, source };
}

/** Legacy `time_spine_table_configurations[].location`: `$source_schema.mf_time_spine`. */
export function physicalFromLocation(owner: YamlValue, written: string, location = owner.location): PhysicalTable {
  const parts = written.trim().split('.');
  if (parts.length >= 2) parts[parts.length - 2] = substitutePlaceholder(owner, parts[parts.length - 2]!, location);
  return splitQualifiedName(parts.join('.'), written.trim());
}
