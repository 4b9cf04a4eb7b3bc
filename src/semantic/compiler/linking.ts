import { StratumError, closestNames, formatSuggestions } from '../../errors.js';
import type { Dimension, Entity, LogicalTable, SemanticModel } from '../ir.js';
import type { ItemRequest } from './query.js';

/** Entity types whose key names at most one row: a join onto them cannot fan out. */
const ONE_SIDE = new Set(['primary', 'unique', 'natural']);

/** One join from a table to another on a shared entity. */
export interface JoinHop {
  entity: string;
  from: LogicalTable;
  to: LogicalTable;
}

/** A dimension or entity reachable from a root table, with the joins that reach it. */
export interface LinkableElement {
  kind: 'dimension' | 'entity';
  /** The entity path that names it: [] for a local entity, [booking] for a local dimension of bookings. */
  path: string[];
  name: string;
  table: LogicalTable;
  hops: JoinHop[];
  dimension?: Dimension;
  entity?: Entity;
}

export const MAX_HOPS = 2;

function joinable(entity: Entity): boolean {
  return entity.expr !== '';
}

/** Entities a table's own dimensions are addressed through (MetricFlow: the primary entity). */
export function localEntities(table: LogicalTable): string[] {
  const names = table.entities.filter((entity) => ONE_SIDE.has(entity.type)).map((entity) => entity.name);
  return names.length ? names : [table.name];
}

/** Everything reachable from `root` through many-to-one joins, up to MAX_HOPS. */
export function linkableElements(model: SemanticModel, root: LogicalTable): LinkableElement[] {
  const elements: LinkableElement[] = [];
  const addTable = (table: LogicalTable, path: string[], hops: JoinHop[], arrivedBy?: string) => {
    for (const dimension of table.dimensions) {
      const paths = hops.length ? [path] : localEntities(table).map((entity) => [entity]);
      for (const entityPath of paths) elements.push({ kind: 'dimension', path: entityPath, name: dimension.name, table, hops, dimension });
    }
    for (const entity of table.entities) {
      if (entity.name === arrivedBy) continue;
      elements.push({ kind: 'entity', path, name: entity.name, table, hops, entity });
      // A local entity can also be named through the table's own entity: `view__listing`.
      if (!hops.length) for (const own of localEntities(table)) if (own !== entity.name) elements.push({ kind: 'entity', path: [own], name: entity.name, table, hops, entity });
    }
  };
  addTable(root, [], []);
  const visit = (table: LogicalTable, path: string[], hops: JoinHop[], visited: Set<LogicalTable>) => {
    if (hops.length >= MAX_HOPS) return;
    for (const entity of table.entities) {
      if (!joinable(entity)) continue;
      for (const target of model.tables) {
        if (visited.has(target)) continue;
        const key = target.entities.find((candidate) => candidate.name === entity.name);
        if (!key || !joinable(key) || !ONE_SIDE.has(key.type)) continue;
        const nextHops = [...hops, { entity: entity.name, from: table, to: target }];
        const nextPath = [...path, entity.name];
        addTable(target, nextPath, nextHops, entity.name);
        visit(target, nextPath, nextHops, new Set([...visited, target]));
      }
    }
  };
  visit(root, [], [], new Set([root]));
  return elements;
}

/** The full MetricFlow name of an element: `listing__user__home_state`. */
export function elementName(element: Pick<LinkableElement, 'path' | 'name'>): string {
  return [...element.path, element.name].join('__');
}

const sameTarget = (a: LinkableElement, b: LinkableElement) => a.table === b.table && (a.dimension ?? a.entity) === (b.dimension ?? b.entity);

/**
 * The element a request names, from one root: an exact entity path first, else the shortest path
 * that ends with the requested one (`user__home_state` finds `listing__user__home_state`).
 * Undefined when nothing matches; an error when two different elements match equally well.
 */
export function findElement(elements: LinkableElement[], request: ItemRequest, wantKind?: 'dimension' | 'entity'): LinkableElement | undefined {
  const candidates = elements.filter(
    // Names match case-insensitively, as SQL identifiers do (Cortex models name things in upper case).
    (element) => element.name.toLowerCase() === request.element && (!wantKind || element.kind === wantKind) && endsWith(element.path, request.entityPath),
  );
  if (!candidates.length) return undefined;
  const exact = candidates.filter((element) => element.path.length === request.entityPath.length);
  const pool = exact.length ? exact : candidates;
  const shortest = Math.min(...pool.map((element) => element.hops.length * 10 + element.path.length));
  const best = pool.filter((element) => element.hops.length * 10 + element.path.length === shortest);
  const distinct = best.filter((element, index) => best.findIndex((other) => sameTarget(other, element)) === index);
  if (distinct.length > 1) {
    throw new StratumError(
      'INVALID_ARGUMENT',
      `"${request.text}" is ambiguous: it can be reached as ${distinct.map((element) => `${elementName(element)} (semantic model ${element.table.name})`).join(' or ')}.`,
      `Name the full entity path, e.g. ${elementName(distinct[0]!)}.`,
    );
  }
  return best[0];
}

function endsWith(path: string[], suffix: string[]): boolean {
  if (suffix.length > path.length) return false;
  return suffix.every((part, index) => path[path.length - suffix.length + index]!.toLowerCase() === part);
}

/** Names a user can write from this root, for suggestions. */
export function reachableNames(elements: LinkableElement[]): string[] {
  return [...new Set(elements.map(elementName))];
}

export function unknownItemError(request: ItemRequest, elements: LinkableElement[], from: string, allNames: string[]): StratumError {
  const reachable = reachableNames(elements);
  const existsElsewhere = allNames.includes(request.text.toLowerCase()) || allNames.some((name) => name.endsWith(`__${request.element}`));
  const close = closestNames(request.text.toLowerCase(), [...reachable, 'metric_time']);
  if (existsElsewhere) {
    return new StratumError(
      'INVALID_ARGUMENT',
      `"${request.text}" cannot be reached from ${from}: no chain of many-to-one joins (at most ${MAX_HOPS}) leads from it to that dimension.${formatSuggestions(close)}`,
      `Group ${from} by something reachable from it: ${reachable.slice(0, 25).join(', ')}${reachable.length > 25 ? ', ...' : ''}, or metric_time.`,
    );
  }
  return new StratumError(
    'INVALID_ARGUMENT',
    `Unknown dimension or entity "${request.text}".${formatSuggestions(close)}`,
    `Name dimensions as entity__dimension. Reachable from ${from}: ${reachable.slice(0, 25).join(', ')}${reachable.length > 25 ? ', ...' : ''}, metric_time.`,
  );
}
