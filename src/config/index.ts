export { configSchema, type StratumConfig, type StratumConfigInput, type DatasourceConfig, type DuckDBDatasourceConfig, type PostgresDatasourceConfig, type LimitsConfig, type LlmConfig, type GenerationConfig } from './schema.js';
export { ConfigError, CONFIG_FILE_NAME, configFromObject, findConfigFile, loadConfigFile, parseConfigText, type ConfigIssue } from './load.js';
