import { loadSubagents } from './loader.js';

/** The names of the subagents under `subagents.paths` (each bundle's `name:`), broken bundles included. */
export function subagentNames(paths: string[]): string[] {
  return [...new Set(loadSubagents(paths).map((entry) => entry.bundle.name).filter(Boolean))].sort();
}
