import { createEmfMetrics } from "../aws/emf-metrics.ts";
import type { RepogateConfig } from "../config/schema.ts";
import { createNoopMetrics, type Metrics } from "./metrics.ts";
import { createPrometheusMetrics, type PrometheusMetrics } from "./prometheus.ts";

/** The metrics chosen by config, and the Prometheus side when that is the exporter (to mount `/metrics`). */
export interface ConfiguredMetrics {
  metrics: Metrics;
  prometheus?: PrometheusMetrics;
}

/** Builds the configured metrics: Prometheus (own registry), CloudWatch EMF lines to `write`, or none. */
export function createMetricsFromConfig(
  config: Pick<RepogateConfig, "metrics">,
  deps: { write?: (line: string) => void; clock?: () => number } = {},
): ConfiguredMetrics {
  const m = config.metrics;
  if (m.exporter === "prometheus") {
    const prometheus = createPrometheusMetrics({ processMetrics: m.prometheus.processMetrics });
    return { metrics: prometheus, prometheus };
  }
  if (m.exporter === "emf") {
    if (!deps.write) throw new Error("metrics.exporter emf needs a writer (stdout in Lambda/ECS)");
    return {
      metrics: createEmfMetrics({
        write: deps.write,
        namespace: m.emf.namespace,
        flushIntervalMs: m.emf.flushIntervalMs,
        ...(deps.clock ? { clock: deps.clock } : {}),
      }),
    };
  }
  return { metrics: createNoopMetrics() };
}
