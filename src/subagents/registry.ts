import { StratumError, didYouMean } from '../errors.js';
import { formatProblem } from '../semantic/index.js';
import { loadSubagents } from './loader.js';
import type { LoadedSubagent, SubagentBundle } from './types.js';
import { checkReferences, type SubagentEnvironment } from './validate.js';

/**
 * The subagents of a workspace, read once from `subagents.paths`. A bundle with errors (broken
 * YAML, unknown tools, models or metrics) is never served: `get` refuses it with its problems.
 */
export class SubagentRegistry {
  private loaded: LoadedSubagent[] | undefined;

  constructor(
    private readonly paths: readonly string[],
    private readonly environment: () => SubagentEnvironment,
  ) {}

  /** Every bundle found, servable or not, with its problems. */
  all(): LoadedSubagent[] {
    if (!this.loaded) {
      const environment = this.environment();
      this.loaded = loadSubagents(this.paths).map((entry) => ({ ...entry, problems: [...entry.problems, ...checkReferences(entry, environment)] }));
    }
    return this.loaded;
  }

  /** The servable bundles (no errors), sorted by name. */
  list(): SubagentBundle[] {
    return this.all()
      .filter((entry) => entry.bundle.name && !entry.problems.some((problem) => problem.severity === 'error'))
      .map((entry) => entry.bundle)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  names(): string[] {
    return this.list().map((bundle) => bundle.name);
  }

  get(name: string): SubagentBundle {
    const entry = this.all().find((candidate) => candidate.bundle.name === name);
    if (!entry) {
      const known = this.all().map((candidate) => candidate.bundle.name).filter(Boolean);
      throw new StratumError(
        'SUBAGENT_UNKNOWN',
        `Unknown subagent "${name}".${didYouMean(name, known)}`,
        known.length ? `Subagents: ${known.join(', ')} (stratum subagent list).` : `No subagents under ${this.paths.join(', ')}; stratum subagent add NAME scaffolds one.`,
      );
    }
    const errors = entry.problems.filter((problem) => problem.severity === 'error');
    if (errors.length) {
      throw new StratumError('SUBAGENT_INVALID', `Subagent "${name}" has ${errors.length} error(s):\n${errors.map((problem) => `  ${formatProblem(problem)}`).join('\n')}`, 'Fix them (stratum subagent validate lists every problem).');
    }
    return entry.bundle;
  }
}
