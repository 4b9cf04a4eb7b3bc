/** Question or metric query -> SQL: compile, reuse a verified query, ask a model, or hand back the context. */
export { generateSql, generateSqlStep } from './pipeline.js';
export { chooseModel, dimensionValues, type DimensionValues, type DimensionValuesRequest } from './metric.js';
export { OpenAIChatModel, type EndpointSettings } from './openai.js';
export { extractSql } from './extract.js';
export { assembleContext, type AssembledContext, type ContextInputs, type LinkedTable } from './context.js';
export type * from './types.js';
