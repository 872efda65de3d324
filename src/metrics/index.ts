export {
  createMetricsHandler,
  type MetricsHandlerOptions,
  type MetricsServerOptions,
  type MetricsToken,
  type RunningMetricsServer,
  serveMetrics,
  startMetricsServer,
} from "./endpoint.ts";
export { type ConfiguredMetrics, createMetricsFromConfig } from "./from-config.ts";
export { httpMetrics } from "./http-middleware.ts";
export { callMetrics, instrumentSigner, recordGitHubResponse } from "./instrument.ts";
export { resolveAppKeyCreatedAt, trackAppKeyAge } from "./key-age.ts";
export { createNoopMetrics, keyAgeDays, labelValue, type Metrics, type ToolOutcome } from "./metrics.ts";
export {
  createPrometheusMetrics,
  type PrometheusMetrics,
  type PrometheusMetricsOptions,
} from "./prometheus.ts";
