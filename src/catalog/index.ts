export { Catalog, type TableSummary, type TableDetail, type ColumnDetail } from './catalog.js';
