// Records feedback in a loop and prints each id once the store has acknowledged it (used by the durability tests).
// The store is the JSON of stratum.yaml's `knowledge` settings: {"path": ...} for SQLite, {"url": ..., "schema": ...} for PostgreSQL.
import { openKnowledgeStore } from '../../dist/knowledge/index.js';

const [settings, count, label] = process.argv.slice(2);
const store = openKnowledgeStore(JSON.parse(settings));
for (let i = 0; i < Number(count); i++) {
  const { record } = await store.addFeedback({ question: `${label} question ${i}`, sql: `SELECT ${i}`, rating: i % 2 ? 'down' : 'up', kind: 'rating' });
  process.stdout.write(`${record.id}\n`);
}
await store.close();
