export { isMetricFlowDocument, parseMetricFlow, type MetricFlowSourceFile } from './parse.js';
