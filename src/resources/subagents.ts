import { readFileSync } from 'node:fs';
import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/server';
import type { SubagentBundle } from '../subagents/index.js';

export const SUBAGENT_URI = 'stratum://subagents/{name}';

/** Each served subagent as a resource: its YAML as written, and the loaded bundle as JSON. */
export function registerSubagentResources(server: McpServer, bundles: readonly SubagentBundle[]): void {
  const template = new ResourceTemplate(SUBAGENT_URI, {
    list: async () => ({
      resources: bundles.map((bundle) => ({
        uri: `stratum://subagents/${encodeURIComponent(bundle.name)}`,
        name: bundle.name,
        title: `${bundle.name} (subagent)`,
        mimeType: 'application/yaml',
        ...(bundle.description ? { description: bundle.description } : {}),
      })),
    }),
    complete: {
      name: (value) => bundles.map((bundle) => bundle.name).filter((name) => name.toLowerCase().startsWith(value.toLowerCase())),
    },
  });
  server.registerResource('subagent', template, { title: 'Subagent', description: 'A subagent bundle: the YAML as written and the loaded bundle as JSON.', mimeType: 'application/yaml' }, async (uri, variables) => {
    const name = decodeURIComponent(String(variables.name ?? ''));
    const bundle = bundles.find((candidate) => candidate.name === name);
    if (!bundle) throw new Error(`Unknown subagent "${name}". Served here: ${bundles.map((candidate) => candidate.name).join(', ') || 'none'}.`);
    const { file, ...loaded } = bundle;
    return {
      contents: [
        { uri: uri.href, mimeType: 'application/yaml', text: readFileSync(file, 'utf8') },
        { uri: `${uri.href}#bundle`, mimeType: 'application/json', text: JSON.stringify(loaded, null, 2) },
      ],
    };
  });
}
