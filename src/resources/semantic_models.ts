import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/server';
import type { AppContext } from '../context.js';
import { StratumError } from '../errors.js';

export const SEMANTIC_MODEL_URI = 'stratum://semantic-models/{name}';

/** Each semantic model as a resource: its YAML as written, and the parsed model as JSON. */
export function registerSemanticModelResources(server: McpServer, context: AppContext): void {
  const template = new ResourceTemplate(SEMANTIC_MODEL_URI, {
    list: async () => ({
      resources: context.semantic.list().map((model) => ({
        uri: `stratum://semantic-models/${encodeURIComponent(model.name)}`,
        name: model.name,
        title: `${model.name} (${model.format} semantic model)`,
        mimeType: 'application/yaml',
        ...(model.description ? { description: model.description.replace(/\s+/g, ' ').trim() } : {}),
      })),
    }),
    complete: {
      name: (value) => context.semantic.list().map((model) => model.name).filter((name) => name.toLowerCase().startsWith(value.toLowerCase())),
    },
  });
  server.registerResource(
    'semantic-model',
    template,
    { title: 'Semantic model', description: 'A semantic model: the YAML as written and the parsed model as JSON.', mimeType: 'application/yaml' },
    async (uri, variables) => {
      const name = decodeURIComponent(String(variables.name ?? ''));
      let model;
      try {
        model = context.semantic.get(name);
      } catch (error) {
        throw new Error(error instanceof StratumError ? error.toText() : String(error));
      }
      const yaml = model.files
        .map((file) => (model.files.length > 1 ? `# file: ${relative(model.path, file)}\n${readFileSync(file, 'utf8')}` : readFileSync(file, 'utf8')))
        .join('\n---\n');
      return {
        contents: [
          { uri: uri.href, mimeType: 'application/yaml', text: yaml },
          { uri: `${uri.href}#ir`, mimeType: 'application/json', text: JSON.stringify(model, null, 2) },
        ],
      };
    },
  );
}
