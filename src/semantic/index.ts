export type * from './ir.js';
export { SemanticRegistry, discoverSources, type SemanticRegistryOptions, type CatalogLookup } from './registry.js';
export { renderSpecification, type Specification, type SpecificationOptions } from './prompt.js';
export { describeMetric, dimensionReference, primaryEntityName } from './names.js';
export { validateSemanticModel, validateAgainstCatalog } from './validate.js';
export { formatProblem, modelSummary, modelDetail, type ModelSummary, type ModelDetail } from './present.js';
export { withColumnSamples, type ColumnSamples } from './samples.js';
export { semanticSearchSignals, verifiedQuerySignals, physicalName } from './search-signals.js';
