export { loadConfig, type LoadConfigOptions } from './load.js';
export { configSchema, ENV_OVERRIDES, type WardenConfig, type ConfigInput } from './schema.js';
