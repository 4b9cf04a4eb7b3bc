import type { Entity, LogicalTable, Relationship } from '../ir.js';

/** Which entity types can sit on the "one" side of a join: each key value names at most one row (per validity window). */
const TARGET_TYPES = new Set<Entity['type']>(['primary', 'unique', 'natural']);
const SOURCE_TYPES = new Set<Entity['type']>(['foreign', 'unique', 'natural']);

/**
 * MetricFlow declares no joins: two semantic models join where an entity of one (foreign, unique or
 * natural) shares its name with a primary, unique or natural entity of the other. Entities without
 * a column (`primary_entity` only) cannot be joined on.
 */
export function deriveRelationships(tables: readonly LogicalTable[]): Relationship[] {
  const relationships: Relationship[] = [];
  for (const left of tables) {
    for (const from of left.entities) {
      if (!SOURCE_TYPES.has(from.type) || from.expr === '') continue;
      for (const right of tables) {
        if (right === left) continue;
        const to = right.entities.find((entity) => entity.name === from.name && TARGET_TYPES.has(entity.type) && entity.expr !== '');
        // A natural key on both sides is two SCD histories: MetricFlow does not join those.
        if (!to || (from.type === 'natural' && to.type === 'natural')) continue;
        relationships.push({
          name: `${left.name}__${from.name}__${right.name}`,
          leftTable: left.name,
          rightTable: right.name,
          columns: [{ left: from.expr, right: to.expr }],
          joinType: 'left_outer',
          relationshipType: from.type === 'unique' && to.type !== 'natural' ? 'one_to_one' : 'many_to_one',
          origin: 'entity',
          entity: from.name,
          ...(from.location ? { location: from.location } : {}),
        });
      }
    }
  }
  return relationships;
}
