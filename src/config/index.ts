export { applyEnvOverrides, ConfigError, loadConfig, parseConfig } from "./load.ts";
export { configSchema, type RepogateConfig, type RepogateConfigInput } from "./schema.ts";
