export { createEmfMetrics, type EmfDocument, type EmfMetricsOptions } from "../aws/emf-metrics.ts";
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
export { instrumentSigner, recordGitHubResponse } from "./instrument.ts";
export { createNoopMetrics, keyAgeDays, labelValue, type Metrics, type ToolOutcome } from "./metrics.ts";
export {
  createPrometheusMetrics,
  type PrometheusMetrics,
  type PrometheusMetricsOptions,
} from "./prometheus.ts";
