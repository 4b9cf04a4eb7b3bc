import type { AppContext } from './context.js';

const BAR_WIDTH = 24;

/** `stratum index`: refreshes each datasource's search index, with a progress bar on a terminal. */
export async function indexDatasources(context: AppContext, only: string | undefined, progress: NodeJS.WriteStream, print: (line: string) => void): Promise<void> {
  const names = only ? [context.datasourceName(only)] : Object.keys(context.config.datasources);
  for (const name of names) {
    const onProgress = (done: number, total: number, message: string) => {
      if (!progress.isTTY || total === 0) return;
      const filled = Math.round((BAR_WIDTH * done) / total);
      progress.write(`\r${name} [${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${done}/${total} ${message.slice(0, 60).padEnd(60)}`);
    };
    const report = await context.search(name).refresh(onProgress);
    if (progress.isTTY) progress.write('\r\x1b[K');
    print(`${name}: ${report.tables} tables indexed in ${report.elapsedMs} ms (${report.added} added, ${report.changed} changed, ${report.removed} removed, ${report.unchanged} unchanged)`);
  }
}
