import { StratumError } from '../errors.js';
import type { SearchResult } from '../search/index.js';
import { physicalName, type SemanticModel, type SemanticRegistry } from '../semantic/index.js';
import type { GenerationStrategy, ToolScope } from '../subagents/types.js';
import { refuseModelOutsideScope } from './metric.js';

export interface StrategyChoice {
  /** The strategy that was asked for (or defaulted). */
  requested: GenerationStrategy;
  /** What the context holds: the model's specification, schema linking, or both (auto with a model). */
  model: SemanticModel | undefined;
  linking: boolean;
  /** Why auto fell back to schema linking, for the explanation. */
  fallback?: string;
}

/** The strategy of a call: the request's, else the subagent's default, else semantic_models.default_strategy. */
export function requestedStrategy(requested: GenerationStrategy | undefined, scope: ToolScope | undefined, configured: GenerationStrategy): GenerationStrategy {
  return requested ?? scope?.subagent.defaultStrategy ?? configured;
}

/**
 * `semantic_model` needs a readable model and fails early without one; `schema_linking` never reads
 * one; `auto` reads one when it can (the named one, else the one covering most linked tables) and
 * otherwise falls back to schema linking, saying why.
 */
export function chooseStrategy(
  requested: GenerationStrategy,
  registry: SemanticRegistry,
  options: { name?: string; scope?: ToolScope; linked?: SearchResult; defaultSchema: string },
): StrategyChoice {
  if (requested === 'schema_linking') return { requested, model: undefined, linking: true };
  if (requested === 'semantic_model') return { requested, model: readableModel(registry, options), linking: false };
  try {
    return { requested, model: readableModel(registry, options), linking: true };
  } catch (error) {
    const reason = error instanceof StratumError ? error.message : String(error);
    return { requested, model: undefined, linking: true, fallback: reason };
  }
}

function readableModel(registry: SemanticRegistry, options: { name?: string; scope?: ToolScope; linked?: SearchResult; defaultSchema: string }): SemanticModel {
  const { name, scope } = options;
  const allowed = registry.list().filter((model) => !scope || scope.allowsModel(model.name));
  let model: SemanticModel | undefined;
  if (name) {
    refuseModelOutsideScope(name, scope, allowed);
    model = registry.get(name);
  } else {
    if (!allowed.length) {
      throw new StratumError('INVALID_ARGUMENT', scope ? `Subagent "${scope.subagent.name}" has no semantic model in scope.` : 'No semantic models are configured.', 'Add MetricFlow or Cortex YAML under semantic_models.paths, or use strategy "schema_linking".');
    }
    model = bestCovering(allowed, options.linked, options.defaultSchema);
  }
  const errors = model.problems.filter((problem) => problem.severity === 'error');
  if (errors.length) {
    throw new StratumError(
      'INVALID_ARGUMENT',
      `Semantic model "${model.name}" cannot be read: ${errors.length} error${errors.length === 1 ? '' : 's'} (first: ${errors[0]!.message}).`,
      `Run \`stratum validate\` and fix ${model.path}, name another model, or use strategy "schema_linking".`,
    );
  }
  return model;
}

/** The model whose physical tables cover the most of the linked tables (ranked), the first one on a tie. */
function bestCovering(models: SemanticModel[], linked: SearchResult | undefined, defaultSchema: string): SemanticModel {
  if (!linked?.tables.length || models.length === 1) return models[0]!;
  const weight = new Map(linked.tables.map((table, rank) => [table.name.toLowerCase(), 1 / (rank + 1)]));
  let best = models[0]!;
  let bestScore = -1;
  for (const model of models) {
    const score = [...new Set(model.tables.map((table) => physicalName(table, defaultSchema).toLowerCase()))].reduce((sum, table) => sum + (weight.get(table) ?? 0), 0);
    if (score > bestScore) [best, bestScore] = [model, score];
  }
  return best;
}
