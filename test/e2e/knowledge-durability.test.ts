import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openKnowledgeStore } from '../../src/knowledge/index.js';
import { tempDir } from '../helpers/fixture.js';
import { PG_URL, adminClient, expectPostgresServer } from '../helpers/postgres.js';

const WRITER = fileURLToPath(new URL('../helpers/knowledge-writer.mjs', import.meta.url));

type StoreSettings = { path: string; url?: string; schema?: string };

/** Starts a writer process; collects the ids it acknowledged, line by line. */
function startWriter(settings: StoreSettings, count: number, label: string) {
  const child = spawn(process.execPath, [WRITER, JSON.stringify(settings), String(count), label], { stdio: ['ignore', 'pipe', 'pipe'] });
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

async function storedFeedback(settings: StoreSettings) {
  const store = openKnowledgeStore(settings);
  try {
    return await store.listFeedback();
  } finally {
    await store.close();
  }
}

const pgSchemas: string[] = [];
afterAll(async () => {
  if (!pgSchemas.length) return;
  const admin = await adminClient();
  for (const schema of pgSchemas) await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
});

/** A new, empty store of each kind; the PostgreSQL one in a fresh schema of the test server. */
const STORES: { name: string; available: boolean; settings: () => StoreSettings }[] = [
  { name: 'SQLite', available: true, settings: () => ({ path: join(tempDir(), 'knowledge.db') }) },
  {
    name: 'PostgreSQL',
    available: Boolean(PG_URL),
    settings: () => {
      const schema = `k_durable_${randomBytes(5).toString('hex')}`;
      pgSchemas.push(schema);
      return { path: join(tempDir(), 'unused.db'), url: PG_URL!, schema };
    },
  },
];

describe('PostgreSQL knowledge store durability: test server', () => {
  it('is configured', (context) => expectPostgresServer(context));
});

for (const kind of STORES) {
  describe.skipIf(!kind.available)(`${kind.name} knowledge store durability`, () => {
    it('keeps every acknowledged feedback id when the writer is killed with SIGKILL at a random moment', async () => {
      const settings = kind.settings();
      const killAfter = 100 + Math.floor(Math.random() * 800);
      const writer = startWriter(settings, 1000, 'killed');
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

      const stored = new Set((await storedFeedback(settings)).map((record) => record.id));
      expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
    });

    it('loses nothing and raises no error when two processes write at once', async () => {
      const settings = kind.settings();
      const writers = [startWriter(settings, 500, 'first'), startWriter(settings, 500, 'second')];
      const exits = await Promise.all(writers.map((writer) => writer.exited));
      expect(exits).toEqual([
        { code: 0, signal: null },
        { code: 0, signal: null },
      ]);
      expect(writers.map((writer) => writer.stderr())).toEqual(['', '']);
      const records = await storedFeedback(settings);
      expect(records).toHaveLength(1000);
      expect(new Set(records.map((record) => record.id))).toEqual(new Set(writers.flatMap((writer) => writer.ids)));
      expect(records.filter((record) => record.question!.startsWith('first'))).toHaveLength(500);
    });
  });
}
