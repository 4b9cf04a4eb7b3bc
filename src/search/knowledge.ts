import type { KnowledgeSignal, KnowledgeSignals } from './types.js';

/** Several knowledge sources read as one (verified queries of semantic models, the knowledge store...). */
export function combineKnowledge(...sources: (KnowledgeSignals | undefined)[]): KnowledgeSignals {
  const present = sources.filter((source): source is KnowledgeSignals => source !== undefined);
  return {
    async signals(datasource: string): Promise<KnowledgeSignal[]> {
      return (await Promise.all(present.map((source) => source.signals(datasource)))).flat();
    },
  };
}

/** Signals held in memory: for tests, and for callers that already have them. */
export class InMemoryKnowledge implements KnowledgeSignals {
  constructor(readonly items: KnowledgeSignal[] = []) {}

  add(signal: KnowledgeSignal): void {
    this.items.push(signal);
  }

  async signals(): Promise<KnowledgeSignal[]> {
    return [...this.items];
  }
}
