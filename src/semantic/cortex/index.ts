/** Snowflake Cortex Analyst semantic model YAML: detection and parsing into the semantic IR. */
export { isCortexDocument, parseCortex } from './parse.js';
