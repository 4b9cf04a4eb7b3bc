import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { parse } from 'yaml';

/**
 * The names of the subagents under `subagents.paths` (each YAML file's `name:`). A stand-in until
 * subagent bundles are loaded and validated properly; it only reads names, so a broken file is skipped.
 */
export function subagentNames(paths: string[]): string[] {
  const names = new Set<string>();
  const read = (file: string) => {
    try {
      const name = (parse(readFileSync(file, 'utf8')) as { name?: unknown } | null)?.name;
      if (typeof name === 'string' && name) names.add(name);
    } catch {
      // Not a readable subagent file: the subagent validator reports it, not this lookup.
    }
  };
  for (const path of paths) {
    if (!existsSync(path)) continue;
    if (!statSync(path).isDirectory()) read(path);
    else for (const entry of readdirSync(path)) if (['.yaml', '.yml'].includes(extname(entry).toLowerCase())) read(join(path, entry));
  }
  return [...names].sort();
}
