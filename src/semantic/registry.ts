import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { StratumError, didYouMean } from '../errors.js';
import type { ParseOptions, SemanticModel, SemanticProblem } from './ir.js';
import { parseCortex } from './cortex/parse.js';
import { parseMetricFlow } from './metricflow/parse.js';
import { validateAgainstCatalog, validateSemanticModel } from './validate.js';

const YAML_EXTENSIONS = new Set(['.yml', '.yaml']);
const MANIFEST_KEYS = ['semantic_model', 'metric', 'saved_query', 'project_configuration'];

/** What a registry needs from `stratum.yaml`. */
export interface SemanticRegistryOptions extends ParseOptions {
  /** Files or folders (absolute) that hold semantic models. */
  paths: string[];
  allowLocalPath: boolean;
}

/** A physical-catalog lookup for warnings about tables and columns that do not exist. */
export type CatalogLookup = () => Promise<{ tables: { name: string; columns: { name: string }[] }[] } | undefined>;

/** One unit that becomes one model: a single file, or a folder of MetricFlow files. */
interface Source {
  kind: 'file' | 'metricflow-folder';
  path: string;
  files: string[];
}

interface Entry {
  source: Source;
  /** mtime and size of every file, to notice edits without re-reading. */
  fingerprint: string;
  model: SemanticModel;
}

function fingerprintOf(files: string[]): string {
  return files
    .map((file) => {
      try {
        const stat = statSync(file);
        return `${file}:${stat.mtimeMs}:${stat.size}`;
      } catch {
        return `${file}:gone`;
      }
    })
    .join('|');
}

function yamlFilesUnder(folder: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules' || entry.name === 'target' || entry.name === 'dbt_packages') continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (YAML_EXTENSIONS.has(extname(entry.name).toLowerCase())) out.push(path);
    }
  };
  walk(folder);
  return out;
}

type Family = 'metricflow' | 'manifest' | 'cortex' | 'timespine' | 'other';
const familyByFile = new Map<string, { version: string; family: Family }>();

/** A YAML file's family, sniffed once per file version (mtime and size). */
function familyOf(file: string): Family {
  const version = fingerprintOf([file]);
  const known = familyByFile.get(file);
  if (known?.version === version) return known.family;
  const family = sniffFamily(file);
  familyByFile.set(file, { version, family });
  return family;
}

/**
 * Sniffs by the top-level keys as written (column 0), without parsing: the parser reads the file
 * once, later, and reports anything wrong with it. Cortex models are the only ones with `tables:`.
 */
function sniffFamily(file: string): Family {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return 'other';
  }
  const topLevel = (keys: string) => new RegExp(`^["']?(${keys})["']?\\s*:`, 'm').test(text);
  if (topLevel(MANIFEST_KEYS.join('|'))) return 'manifest';
  if (topLevel('tables')) return 'cortex';
  if (topLevel('semantic_models|metrics|saved_queries')) return 'metricflow';
  if (topLevel('models') && /^\s+time_spine\s*:/m.test(text)) return 'timespine';
  return 'other';
}

/**
 * Finds the models under the configured paths:
 *  - a MetricFlow project (manifest documents, a project_configuration or a dbt_project.yml) is one model named after its folder;
 *  - otherwise each Cortex file is a model, each MetricFlow file at the top of a configured folder is a
 *    model named after the file, and each subfolder of MetricFlow files is one model named after the subfolder.
 */
export function discoverSources(paths: string[]): Source[] {
  const sources: Source[] = [];
  const family = familyOf;
  const isMetricFlow = (file: string) => family(file) === 'manifest' || family(file) === 'metricflow';
  const wholeFolder = (folder: string) => {
    const files = yamlFilesUnder(folder);
    sources.push({ kind: 'metricflow-folder', path: folder, files: files.filter((file) => isMetricFlow(file) || family(file) === 'timespine') });
    for (const file of files) if (family(file) === 'cortex') sources.push({ kind: 'file', path: file, files: [file] });
  };
  const addFolder = (folder: string, topLevel: boolean) => {
    const entries = readdirSync(folder, { withFileTypes: true })
      .filter((entry) => !entry.name.startsWith('.'))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const direct = entries.filter((entry) => entry.isFile() && YAML_EXTENSIONS.has(extname(entry.name).toLowerCase())).map((entry) => join(folder, entry.name));
    // A MetricFlow project (manifest folder or dbt project) is one model: its files refer to each other.
    const hasProjectConfiguration = direct.some((file) => stem(file) === 'project_configuration' || basename(file) === 'dbt_project.yml');
    if (hasProjectConfiguration || direct.some((file) => family(file) === 'manifest')) return wholeFolder(folder);
    if (!topLevel && yamlFilesUnder(folder).some(isMetricFlow)) return wholeFolder(folder);
    for (const file of direct) if (isMetricFlow(file) || family(file) === 'cortex') sources.push({ kind: 'file', path: file, files: [file] });
    for (const entry of entries) if (entry.isDirectory() && !['node_modules', 'target', 'dbt_packages'].includes(entry.name)) addFolder(join(folder, entry.name), false);
  };
  for (const path of paths) {
    if (!existsSync(path)) continue;
    if (statSync(path).isDirectory()) addFolder(path, true);
    else sources.push({ kind: 'file', path, files: [path] });
  }
  return sources;
}

function stem(path: string): string {
  return basename(path, extname(path));
}

/**
 * The semantic models of a workspace: discovered under the configured paths, parsed, validated,
 * cached, and re-read when a file changes (checked on every access, so no restart and no stale entry).
 */
export class SemanticRegistry {
  private entries = new Map<string, Entry>();
  private models: SemanticModel[] = [];
  private catalogProblems = new WeakMap<SemanticModel, SemanticProblem[]>();
  private renamed = new WeakMap<SemanticModel, SemanticModel>();

  constructor(
    private readonly options: SemanticRegistryOptions,
    private readonly catalog?: CatalogLookup,
  ) {}

  /** Every model, in a stable order; broken ones included with their problems. */
  list(): SemanticModel[] {
    this.refresh();
    return this.models;
  }

  get(name: string): SemanticModel {
    const models = this.list();
    const found = models.find((model) => model.name === name) ?? models.find((model) => model.name.toLowerCase() === name.toLowerCase());
    if (found) return found;
    throw new StratumError(
      'INVALID_ARGUMENT',
      `Unknown semantic model "${name}".${didYouMean(name, models.map((model) => model.name))}`,
      models.length ? `Known models: ${models.map((model) => model.name).join(', ')}. Call list_semantic_models to see them.` : 'No semantic models are configured: add files under semantic_models.paths in stratum.yaml.',
    );
  }

  /** Loads a model from a file or folder inside the configured roots (symlinks resolved first). */
  loadPath(requested: string, baseDir: string): SemanticModel {
    if (!this.options.allowLocalPath) {
      throw new StratumError('INVALID_ARGUMENT', 'Loading a semantic model by path is disabled (semantic_models.allow_local_path: false).', 'Load it by name instead (list_semantic_models).');
    }
    const path = isAbsolute(requested) ? requested : resolve(baseDir, requested);
    const roots = this.options.paths.filter((root) => existsSync(root)).map((root) => realpathSync(root));
    let real: string;
    try {
      real = realpathSync(path);
    } catch {
      throw new StratumError('INVALID_ARGUMENT', `No semantic model file or folder at ${requested}.`, `Paths are relative to the config folder; allowed roots: ${roots.join(', ') || '(none)'}.`);
    }
    const inside = roots.some((root) => {
      const rel = relative(root, real);
      return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
    });
    if (!inside) {
      throw new StratumError(
        'INVALID_ARGUMENT',
        `Refused: ${requested} is outside the configured semantic model folders.`,
        `Only files under ${roots.join(', ') || 'semantic_models.paths'} can be loaded by path (after resolving symlinks).`,
      );
    }
    const sources = statSync(real).isDirectory() ? discoverSources([real]) : [{ kind: 'file' as const, path: real, files: [real] }];
    if (sources.length === 0) throw new StratumError('INVALID_ARGUMENT', `No MetricFlow or Cortex YAML found at ${requested}.`);
    return this.build(sources[0]!);
  }

  /** Catalog warnings (tables or columns the datasource does not have) for one model. */
  async catalogWarnings(model: SemanticModel): Promise<SemanticProblem[]> {
    const cached = this.catalogProblems.get(model);
    if (cached) return cached;
    const catalog = await this.catalog?.().catch(() => undefined);
    if (!catalog) return [];
    const warnings = validateAgainstCatalog(model, catalog);
    this.catalogProblems.set(model, warnings);
    return warnings;
  }

  private refresh(): void {
    const sources = discoverSources(this.options.paths);
    const next = new Map<string, Entry>();
    for (const source of sources) {
      const key = `${source.kind}:${source.path}`;
      const fingerprint = fingerprintOf(source.files);
      const previous = this.entries.get(key);
      next.set(key, previous && previous.fingerprint === fingerprint ? previous : { source, fingerprint, model: this.build(source) });
    }
    this.entries = next;
    this.models = this.uniqueNames([...next.values()].map((entry) => entry.model));
  }

  private build(source: Source, nameOverride?: string): SemanticModel {
    const files = source.files.map((path) => {
      try {
        return { path, text: readFileSync(path, 'utf8') };
      } catch (error) {
        return { path, text: '', error: error instanceof Error ? error.message : String(error) };
      }
    });
    let model: SemanticModel;
    const parseOptions: ParseOptions = { refs: this.options.refs, placeholders: this.options.placeholders, defaultSchema: this.options.defaultSchema };
    if (source.kind === 'metricflow-folder') {
      model = parseMetricFlow(files, { name: nameOverride ?? basename(source.path), path: source.path }, parseOptions);
    } else {
      const file = files[0]!;
      const family = familyOf(file.path);
      model =
        family === 'cortex'
          ? parseCortex(file, parseOptions)
          : parseMetricFlow([file], { name: nameOverride ?? stem(file.path), path: file.path }, parseOptions);
      if (nameOverride) model = { ...model, name: nameOverride };
    }
    const validation = validateSemanticModel(model);
    return { ...model, problems: [...model.problems, ...validation] };
  }

  /** Two sources with one name: the first (by path) keeps it, later ones take their file or folder name. */
  private uniqueNames(models: SemanticModel[]): SemanticModel[] {
    const taken = new Set<string>();
    return models.map((model) => {
      if (!taken.has(model.name)) {
        taken.add(model.name);
        return model;
      }
      let name = stem(model.path);
      if (taken.has(name)) name = `${model.name}_${model.format}`;
      for (let n = 2; taken.has(name); n++) name = `${stem(model.path)}_${n}`;
      taken.add(name);
      // The same renamed object on every list(), so readers that cache per model (the knowledge store's mirror) stay warm.
      const renamed = this.renamed.get(model);
      if (renamed?.name === name) return renamed;
      const problem: SemanticProblem = {
        severity: 'warning',
        code: 'duplicate_model_name',
        message: `Semantic model name "${model.name}" is already used by another model; this one is served as "${name}".`,
        hint: 'Give each model a distinct name.',
        location: { file: model.files[0] ?? model.path, line: 1, column: 1 },
      };
      const copy = { ...model, name, problems: [...model.problems, problem] };
      this.renamed.set(model, copy);
      return copy;
    });
  }
}
