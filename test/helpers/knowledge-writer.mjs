// Records feedback in a loop and prints each id once the store has acknowledged it (used by the durability tests).
import { SqliteKnowledgeStore } from '../../dist/knowledge/index.js';

const [storePath, count, label] = process.argv.slice(2);
const store = new SqliteKnowledgeStore(storePath);
for (let i = 0; i < Number(count); i++) {
  const { record } = await store.addFeedback({ question: `${label} question ${i}`, sql: `SELECT ${i}`, rating: i % 2 ? 'down' : 'up', kind: 'rating' });
  process.stdout.write(`${record.id}\n`);
}
await store.close();
