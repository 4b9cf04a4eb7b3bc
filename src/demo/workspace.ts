import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';
import { StratumError } from '../errors.js';
import { CONFIG_FILE_NAME } from '../config/index.js';
import { generateDemoDatabase, type DemoGenerationResult } from './generate.js';

export interface DemoWorkspaceOptions {
  scale?: number;
  /** Overwrite an existing stratum.yaml and demo files. */
  force?: boolean;
  onProgress?: (step: string) => void;
}

export interface DemoWorkspace {
  dir: string;
  configPath: string;
  databasePath: string;
  generation: DemoGenerationResult;
}

export const DEMO_CONFIG = `# Stratum configuration. Every key is documented in the README ("Configuration").
datasources:                       # the first one is the default
  demo: { type: duckdb, path: ./demo.duckdb }
semantic_models:
  paths: [./semantic_models]
  default_strategy: auto
subagents: { paths: [./subagents] }
knowledge: { path: ./.stratum/knowledge.db }
limits: { max_rows: 1000, max_chars: 50000, timeout_ms: 30000 }
`;

/** The folder shipped with the package that holds the demo semantic models and subagents. */
const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Writes a ready-to-serve demo workspace: stratum.yaml, a generated DuckDB retail database,
 * the demo semantic models (MetricFlow and Cortex) and an example subagent.
 * Refuses to overwrite an existing workspace unless `force` is set, so no one loses a config.
 */
export async function createDemoWorkspace(dir: string, options: DemoWorkspaceOptions = {}): Promise<DemoWorkspace> {
  const target = resolve(dir);
  const configPath = join(target, CONFIG_FILE_NAME);
  const databasePath = join(target, 'demo.duckdb');
  if (!options.force && existsSync(configPath)) {
    throw new StratumError('INVALID_ARGUMENT', `${configPath} already exists.`, 'Pass --force to overwrite the demo files, or choose another directory.');
  }
  const scale = options.scale ?? 1;
  if (!(scale > 0) || scale > 100) throw new StratumError('INVALID_ARGUMENT', `--scale must be a number above 0 and at most 100; got ${scale}.`);

  mkdirSync(target, { recursive: true });
  for (const folder of ['semantic_models', 'subagents']) {
    options.onProgress?.(`copying ${folder}/`);
    cpSync(join(PACKAGE_ROOT, folder), join(target, folder), { recursive: true, force: true });
  }
  const generation = await generateDemoDatabase(databasePath, { scale, onProgress: options.onProgress });
  writeFileSync(configPath, DEMO_CONFIG);
  return { dir: target, configPath, databasePath, generation };
}
