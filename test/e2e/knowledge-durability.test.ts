import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SqliteKnowledgeStore } from '../../src/knowledge/index.js';
import { tempDir } from '../helpers/fixture.js';

const WRITER = fileURLToPath(new URL('../helpers/knowledge-writer.mjs', import.meta.url));

/** Starts a writer process; collects the ids it acknowledged, line by line. */
function startWriter(storePath: string, count: number, label: string) {
  const child = spawn(process.execPath, [WRITER, storePath, String(count), label], { stdio: ['ignore', 'pipe', 'pipe'] });
  const ids: string[] = [];
  let partial = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop()!;
    ids.push(...lines.filter(Boolean));
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return { child, ids, exited, stderr: () => stderr };
}

describe('knowledge store durability', () => {
  it('keeps every acknowledged feedback id when the writer is killed with SIGKILL at a random moment', async () => {
    const storePath = join(tempDir(), 'knowledge.db');
    const killAfter = 100 + Math.floor(Math.random() * 800);
    const writer = startWriter(storePath, 1000, 'killed');
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (writer.ids.length >= killAfter) {
          clearInterval(timer);
          writer.child.kill('SIGKILL');
          resolve();
        }
      }, 1);
      writer.exited.then(() => {
        clearInterval(timer);
        reject(new Error(`writer exited before being killed: ${writer.stderr()}`));
      });
    });
    const { signal } = await writer.exited;
    expect(signal).toBe('SIGKILL');
    const acknowledged = [...writer.ids];
    expect(acknowledged.length).toBeGreaterThanOrEqual(killAfter);
    expect(acknowledged.length).toBeLessThan(1000);

    const store = new SqliteKnowledgeStore(storePath);
    const stored = new Set((await store.listFeedback()).map((record) => record.id));
    await store.close();
    expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
  });

  it('loses nothing and raises no lock error when two processes write at once', async () => {
    const storePath = join(tempDir(), 'knowledge.db');
    const writers = [startWriter(storePath, 500, 'first'), startWriter(storePath, 500, 'second')];
    const exits = await Promise.all(writers.map((writer) => writer.exited));
    expect(exits).toEqual([{ code: 0, signal: null }, { code: 0, signal: null }]);
    expect(writers.map((writer) => writer.stderr())).toEqual(['', '']);
    const store = new SqliteKnowledgeStore(storePath);
    const records = await store.listFeedback();
    await store.close();
    expect(records).toHaveLength(1000);
    expect(new Set(records.map((record) => record.id))).toEqual(new Set(writers.flatMap((writer) => writer.ids)));
    expect(records.filter((record) => record.question!.startsWith('first'))).toHaveLength(500);
  });
});
