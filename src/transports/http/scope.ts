import type { McpServer } from '@modelcontextprotocol/server';

/**
 * What the HTTP server serves: the full server at `/mcp` and `/sse`, and one scoped server per
 * subagent at `/mcp/{name}` and `/sse/{name}`. `createServer` is called for every session (and for
 * every request of the stateless protocols), so it must be cheap and share the AppContext.
 */
export interface ScopeResolver {
  subagents: readonly string[];
  /** A fresh server for one scope: `undefined` is the full server, otherwise a subagent name. */
  createServer(subagent: string | undefined): McpServer;
}
