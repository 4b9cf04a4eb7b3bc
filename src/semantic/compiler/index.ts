export { compileMetricQuery, MetricQueryCompiler, type CompiledQuery, type CompileOptions } from './compile.js';
export { parseItemName, type MetricQuery, type GroupByObject, type ItemRequest } from './query.js';
export { linkableElements, elementName, type LinkableElement } from './linking.js';
