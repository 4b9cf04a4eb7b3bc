import hnswlib from 'hnswlib-node';

/** Above this many vectors, an HNSW graph answers; below it, an exact cosine scan is fast enough. */
export const EXACT_SEARCH_LIMIT = 5_000;

export interface VectorHit {
  id: string;
  score: number;
}

/** Nearest tables by cosine similarity: exact below a size threshold, hnswlib-node above it. */
export class VectorIndex {
  private readonly ids: string[] = [];
  private readonly vectors: Float32Array[] = [];
  private hnsw: InstanceType<typeof hnswlib.HierarchicalNSW> | undefined;

  constructor(entries: Iterable<[string, number[]]>, readonly exactLimit = EXACT_SEARCH_LIMIT) {
    for (const [id, vector] of entries) {
      this.ids.push(id);
      this.vectors.push(normalize(vector));
    }
    if (this.ids.length > exactLimit && this.vectors[0]) {
      this.hnsw = new hnswlib.HierarchicalNSW('cosine', this.vectors[0].length);
      this.hnsw.initIndex(this.ids.length);
      this.vectors.forEach((vector, label) => this.hnsw!.addPoint([...vector], label));
      this.hnsw.setEf(200);
    }
  }

  get size(): number {
    return this.ids.length;
  }

  get usesHnsw(): boolean {
    return this.hnsw !== undefined;
  }

  nearest(query: number[], k: number): VectorHit[] {
    if (this.ids.length === 0) return [];
    const wanted = Math.min(k, this.ids.length);
    const q = normalize(query);
    if (this.hnsw) {
      const { neighbors, distances } = this.hnsw.searchKnn([...q], wanted);
      return neighbors.map((label, i) => ({ id: this.ids[label]!, score: 1 - distances[i]! }));
    }
    return this.vectors
      .map((vector, i) => ({ id: this.ids[i]!, score: dot(vector, q) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, wanted);
  }
}

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

function normalize(vector: ArrayLike<number>): Float32Array {
  let norm = 0;
  for (let i = 0; i < vector.length; i++) norm += vector[i]! * vector[i]!;
  norm = Math.sqrt(norm) || 1;
  const out = new Float32Array(vector.length);
  for (let i = 0; i < vector.length; i++) out[i] = vector[i]! / norm;
  return out;
}
