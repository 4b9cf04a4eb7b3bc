import { fileURLToPath } from 'node:url';

export type ClientName = 'claude' | 'cursor' | 'vscode';

/** Where each client reads its MCP server list, to tell the user where to paste. */
export const CLIENT_CONFIG_LOCATIONS: Record<ClientName, string> = {
  claude: 'Claude Desktop: Settings > Developer > Edit Config (claude_desktop_config.json), merge into "mcpServers"',
  cursor: 'Cursor: ~/.cursor/mcp.json (all projects) or .cursor/mcp.json in the project, merge into "mcpServers"',
  vscode: 'VS Code: .vscode/mcp.json in the workspace (or "MCP: Open User Configuration"), merge into "servers"',
};

/**
 * The JSON block a client needs to start this Stratum over stdio. Absolute paths to node and the
 * CLI, so it works whatever the client's PATH and working directory are.
 */
export function mcpClientConfig(client: ClientName, configPath: string, name = 'stratum'): object {
  const cli = fileURLToPath(new URL('./cli.js', import.meta.url)).replace(/\/src\/cli\.js$/, '/dist/cli.js');
  const server = { command: process.execPath, args: [cli, 'serve', '--config', configPath] };
  if (client === 'vscode') return { servers: { [name]: { type: 'stdio', ...server } } };
  return { mcpServers: { [name]: server } };
}
