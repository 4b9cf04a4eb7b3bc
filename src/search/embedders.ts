import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { StratumError } from '../errors.js';

/** Turns texts into vectors. Optional: search is lexical when no embedder is configured. */
export interface Embedder {
  /** Identifies the model, so cached vectors of another model are never reused. */
  readonly id: string;
  embed(texts: string[]): Promise<number[][]>;
}

export type EmbeddingsSetting =
  | 'none'
  | { provider: 'transformers'; model: string }
  | { provider: 'openai'; base_url: string; model: string; api_key?: string; dimensions?: number };

/** The embedder a `search.embeddings` setting asks for, or undefined for `none`. */
export function createEmbedder(setting: EmbeddingsSetting, options: { baseDir?: string; fetch?: typeof fetch } = {}): Embedder | undefined {
  if (setting === 'none') return undefined;
  if (setting.provider === 'transformers') return new TransformersEmbedder(resolve(options.baseDir ?? '.', setting.model));
  return new OpenAIEmbedder(setting, options.fetch ?? fetch);
}

type FeatureExtractor = (texts: string[], options: { pooling: 'mean'; normalize: boolean }) => Promise<{ tolist(): number[][] }>;

/**
 * `@huggingface/transformers` with a model from a local folder. The package is not a dependency
 * (it is large) and nothing is downloaded at run time, so both must already be there.
 */
export class TransformersEmbedder implements Embedder {
  readonly id: string;
  private extractor: Promise<FeatureExtractor> | undefined;

  constructor(private readonly modelDir: string) {
    this.id = `transformers:${modelDir}`;
  }

  private load(): Promise<FeatureExtractor> {
    this.extractor ??= (async () => {
      if (!existsSync(this.modelDir)) {
        throw new StratumError(
          'EMBEDDER_UNAVAILABLE',
          `The embedding model folder ${this.modelDir} does not exist.`,
          'Set search.embeddings.model to a local folder holding an ONNX sentence-embedding model (config.json, tokenizer.json, onnx/model.onnx), or set search.embeddings to none.',
        );
      }
      const packageName = '@huggingface/transformers';
      let transformers: { pipeline: Function; env: { allowRemoteModels: boolean; allowLocalModels: boolean } };
      try {
        transformers = (await import(packageName)) as typeof transformers;
      } catch {
        throw new StratumError(
          'EMBEDDER_UNAVAILABLE',
          'search.embeddings uses provider "transformers" but the package @huggingface/transformers is not installed.',
          'Install it next to Stratum (npm install @huggingface/transformers), or set search.embeddings to none or to an openai-compatible endpoint.',
        );
      }
      transformers.env.allowRemoteModels = false;
      transformers.env.allowLocalModels = true;
      try {
        return (await transformers.pipeline('feature-extraction', this.modelDir)) as FeatureExtractor;
      } catch (error) {
        throw new StratumError(
          'EMBEDDER_UNAVAILABLE',
          `Cannot load the embedding model in ${this.modelDir}: ${error instanceof Error ? error.message : String(error)}`,
          'The folder must hold a transformers.js model (config.json, tokenizer.json, onnx/model.onnx).',
        );
      }
    })();
    this.extractor.catch(() => (this.extractor = undefined));
    return this.extractor;
  }

  async embed(texts: string[]): Promise<number[][]> {
    const extractor = await this.load();
    const output = await extractor(texts, { pooling: 'mean', normalize: true });
    return output.tolist();
  }
}

/** Any OpenAI-compatible `/embeddings` endpoint, through the built-in fetch. */
export class OpenAIEmbedder implements Embedder {
  readonly id: string;
  private static readonly BATCH = 64;

  constructor(
    private readonly setting: { base_url: string; model: string; api_key?: string; dimensions?: number },
    private readonly fetcher: typeof fetch = fetch,
  ) {
    this.id = `openai:${setting.base_url}:${setting.model}:${setting.dimensions ?? ''}`;
  }

  async embed(texts: string[]): Promise<number[][]> {
    const vectors: number[][] = [];
    for (let start = 0; start < texts.length; start += OpenAIEmbedder.BATCH) vectors.push(...(await this.batch(texts.slice(start, start + OpenAIEmbedder.BATCH))));
    return vectors;
  }

  private async batch(input: string[]): Promise<number[][]> {
    const url = `${this.setting.base_url.replace(/\/+$/, '')}/embeddings`;
    let response: Response;
    try {
      response = await this.fetcher(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(this.setting.api_key ? { authorization: `Bearer ${this.setting.api_key}` } : {}) },
        body: JSON.stringify({ model: this.setting.model, input, ...(this.setting.dimensions ? { dimensions: this.setting.dimensions } : {}) }),
      });
    } catch (error) {
      throw new StratumError('EMBEDDER_UNAVAILABLE', `Cannot reach the embeddings endpoint ${url}: ${error instanceof Error ? error.message : String(error)}`, 'Check search.embeddings.base_url, or set search.embeddings to none.');
    }
    if (!response.ok) {
      const body = (await response.text().catch(() => '')).slice(0, 300);
      const missing = response.status === 404 || /model/i.test(body);
      throw new StratumError(
        'EMBEDDER_UNAVAILABLE',
        `The embeddings endpoint ${url} answered ${response.status}${body ? `: ${body}` : ''}`,
        missing ? `Check that the endpoint serves the model "${this.setting.model}" (search.embeddings.model).` : 'Check search.embeddings (base_url, api_key).',
      );
    }
    const json = (await response.json()) as { data?: { embedding: number[]; index?: number }[] };
    if (!Array.isArray(json.data) || json.data.length !== input.length) {
      throw new StratumError('EMBEDDER_UNAVAILABLE', `The embeddings endpoint ${url} returned ${json.data?.length ?? 'no'} vectors for ${input.length} texts.`, 'Use an OpenAI-compatible /embeddings endpoint.');
    }
    return [...json.data].sort((a, b) => (a.index ?? 0) - (b.index ?? 0)).map((item) => item.embedding);
  }
}
