import type { Entity, ExpressionMetric, LogicalTable, Relationship, SourceLocation } from '../ir.js';
import type { MappingReader } from './reader.js';

/** A column a relationship may join on: its logical name and the SQL over the base table. */
export interface ColumnRef {
  name: string;
  expr: string;
}

/** A logical table while the model is being read, with what relationships need to resolve against it. */
export interface ParsedTable {
  table: LogicalTable;
  metrics: ExpressionMetric[];
  /** Dimensions, time dimensions, facts and primary key columns, by lower-case name. */
  columns: Map<string, ColumnRef>;
  reader: MappingReader;
  primaryKeyLocation: SourceLocation | undefined;
}

export interface ResolvedRelationship {
  relationship: Relationship;
  left: ParsedTable;
  right: ParsedTable;
  pairs: { left: ColumnRef; right: ColumnRef }[];
}

/**
 * Cortex has no entities; the logical table plays the entity. Each table with a one-column primary
 * key gets a primary entity named after the table, and each single-column many-to-one (or
 * one-to-one) relationship gives its many side a foreign entity named after the target table, so
 * joins read the way MetricFlow's shared entity names do. A join on a target column that is not
 * its key makes that column a unique entity of the target (named after the table, or after the
 * relationship when the table's name is taken by another key). Composite keys, multi-column
 * joins, self-joins and many-to-many joins get no entity: one entity expression cannot describe
 * them, and the declared relationship still holds the join.
 */
export function deriveEntities(tables: ParsedTable[], joins: ResolvedRelationship[]): void {
  for (const parsed of tables) {
    const [key, ...rest] = parsed.table.primaryKey;
    if (key !== undefined && rest.length === 0) add(parsed, entity(parsed.table.name, 'primary', key, parsed.primaryKeyLocation));
  }
  for (const { relationship, pairs, ...sides } of joins) {
    const [pair, ...more] = pairs;
    if (!pair || more.length > 0 || relationship.relationshipType === 'many_to_many') continue;
    const reversed = relationship.relationshipType === 'one_to_many';
    const from = reversed ? sides.right : sides.left;
    const to = reversed ? sides.left : sides.right;
    const fromColumn = reversed ? pair.right : pair.left;
    const toColumn = reversed ? pair.left : pair.right;
    if (from === to) continue;
    for (const name of [to.table.name, relationship.name]) {
      const target = find(to, name);
      const sameColumn = target !== undefined && [toColumn.name, toColumn.expr].some((column) => column.toLowerCase() === target.expr.toLowerCase());
      if (find(from, name) || (target && !sameColumn)) continue;
      if (!target) add(to, entity(name, 'unique', toColumn.expr, relationship.location));
      add(from, entity(name, 'foreign', fromColumn.expr, relationship.location));
      break;
    }
  }
}

function entity(name: string, type: Entity['type'], expr: string, location: SourceLocation | undefined): Entity {
  return location ? { name, type, expr, synonyms: [], location } : { name, type, expr, synonyms: [] };
}

function find(parsed: ParsedTable, name: string): Entity | undefined {
  return parsed.table.entities.find((existing) => existing.name.toLowerCase() === name.toLowerCase());
}

function add(parsed: ParsedTable, candidate: Entity): void {
  if (!find(parsed, candidate.name)) parsed.table.entities.push(candidate);
}
