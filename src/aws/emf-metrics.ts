import { labelValue, type Metrics } from "../metrics/metrics.ts";

/** CloudWatch units used here (a subset of what EMF accepts). */
type Unit = "Count" | "Milliseconds" | "None";

/** EMF allows at most 100 values per metric in one line. */
const MAX_VALUES_PER_LINE = 100;

export interface EmfMetricsOptions {
  /** Receives one EMF JSON document per call (no trailing newline); e.g. stdout in Lambda or ECS (awslogs). */
  write: (line: string) => void;
  /** CloudWatch namespace. Default `Repogate`. */
  namespace?: string;
  /** Buffered values are written this often. Default 60 s; 0 disables the timer (call `flush()`). */
  flushIntervalMs?: number;
  /** Extra fields on every line (e.g. `{ service: "repogate" }`); never used as dimensions. */
  properties?: Record<string, string>;
  clock?: () => number;
}

interface Series {
  unit: Unit;
  kind: "sum" | "gauge" | "values";
  sum: number;
  values: number[];
  /** Gauges are re-emitted every flush so alarms never see missing data between changes. */
  gauge?: number;
}

interface Group {
  dimensions: Record<string, string>;
  metrics: Map<string, Series>;
}

/** The EMF document shape: `_aws` metadata plus dimension and metric values as top-level fields. */
export interface EmfDocument {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: Unit }[];
    }[];
  };
  [field: string]: unknown;
}

/** Creates metrics that aggregate in memory and write CloudWatch Embedded Metric Format lines at each flush. */
export function createEmfMetrics(options: EmfMetricsOptions): Metrics {
  const namespace = options.namespace ?? "Repogate";
  const now = options.clock ?? Date.now;
  const groups = new Map<string, Group>();

  const series = (dimensions: Record<string, string>, name: string, unit: Unit, kind: Series["kind"]) => {
    const key = JSON.stringify(Object.entries(dimensions).sort(([a], [b]) => a.localeCompare(b)));
    let group = groups.get(key);
    if (!group) {
      group = { dimensions, metrics: new Map() };
      groups.set(key, group);
    }
    let s = group.metrics.get(name);
    if (!s) {
      s = { unit, kind, sum: 0, values: [] };
      group.metrics.set(name, s);
    }
    return s;
  };
  const count = (name: string, dimensions: Record<string, string> = {}, by = 1) => {
    series(dimensions, name, "Count", "sum").sum += by;
  };
  const observe = (name: string, value: number, dimensions: Record<string, string> = {}) => {
    series(dimensions, name, "Milliseconds", "values").values.push(Math.max(0, value));
  };
  const gauge = (
    name: string,
    value: number,
    dimensions: Record<string, string> = {},
    unit: Unit = "Count",
  ) => {
    series(dimensions, name, unit, "gauge").gauge = value;
  };

  const documentsOf = (group: Group, timestamp: number): EmfDocument[] => {
    const documents: EmfDocument[] = [];
    const pending = [...group.metrics].map(([name, s]) => ({ name, s, offset: 0 }));
    for (let first = true; ; first = false) {
      const fields: Record<string, unknown> = {};
      const defs: { Name: string; Unit: Unit }[] = [];
      for (const item of pending) {
        const { name, s } = item;
        if (s.kind === "values") {
          const chunk = s.values.slice(item.offset, item.offset + MAX_VALUES_PER_LINE);
          item.offset += chunk.length;
          if (chunk.length === 0) continue;
          fields[name] = chunk.length === 1 ? chunk[0] : chunk;
        } else if (!first) {
          continue;
        } else if (s.kind === "sum") {
          if (s.sum === 0) continue;
          fields[name] = s.sum;
        } else {
          if (s.gauge === undefined) continue;
          fields[name] = s.gauge;
        }
        defs.push({ Name: name, Unit: s.unit });
      }
      if (defs.length === 0) break;
      documents.push({
        _aws: {
          Timestamp: timestamp,
          CloudWatchMetrics: [
            { Namespace: namespace, Dimensions: [Object.keys(group.dimensions)], Metrics: defs },
          ],
        },
        ...options.properties,
        ...group.dimensions,
        ...fields,
      });
    }
    return documents;
  };

  const flush = async () => {
    const timestamp = now();
    for (const group of groups.values()) {
      for (const document of documentsOf(group, timestamp)) options.write(JSON.stringify(document));
      for (const [name, s] of group.metrics) {
        if (s.kind === "gauge") continue;
        group.metrics.delete(name);
      }
    }
    for (const [key, group] of groups) if (group.metrics.size === 0) groups.delete(key);
  };

  const interval = options.flushIntervalMs ?? 60_000;
  const timer =
    interval > 0
      ? setInterval(() => {
          void flush();
        }, interval)
      : undefined;
  timer?.unref();

  return {
    recordToolCall({ tool, outcome, durationMs }) {
      count("ToolCalls", { Tool: labelValue(tool), Outcome: labelValue(outcome) });
      observe("ToolLatency", durationMs, { Tool: labelValue(tool) });
    },
    recordPolicyDecision({ decision, code }) {
      count("PolicyDecisions", { Decision: decision, Code: labelValue(code) });
    },
    recordTokenGrant() {
      count("TokenGrants");
    },
    recordTokenRevocation({ outcome, reason }) {
      count("TokenRevocations", { Outcome: outcome });
      if (outcome === "failed") count("TokenRevokeFailures", { Reason: labelValue(reason ?? "unknown") });
    },
    recordAuthFailure({ reason }) {
      count("AuthFailures", { Reason: labelValue(reason) });
    },
    recordRateLimitRefusal({ scope }) {
      count("RateLimitRefusals", { Scope: labelValue(scope) });
    },
    recordGitHubRequest({ status }) {
      count("GitHubRequests", { Status: labelValue(status) });
    },
    setGitHubRateLimitRemaining({ installationId, remaining }) {
      gauge("GitHubRateLimitRemaining", remaining, { InstallationId: labelValue(installationId) });
    },
    recordKmsSign({ outcome, durationMs }) {
      count("KmsSigns", { Outcome: outcome });
      observe("KmsSignLatency", durationMs);
    },
    setAuditQueueDepth(depth) {
      gauge("AuditQueueDepth", depth);
    },
    recordAuditDeliveryFailure({ sink, reason }) {
      count("AuditDeliveryFailures", { Sink: labelValue(sink), Reason: labelValue(reason) });
    },
    recordHttpRequest({ route, status, durationMs }) {
      count("HttpRequests", { Route: labelValue(route), Status: labelValue(status) });
      observe("HttpLatency", durationMs, { Route: labelValue(route) });
    },
    setAppKeyAgeDays(days) {
      gauge("AppKeyAgeDays", days, {}, "None");
    },
    recordSecretRefreshFailure({ outcome }) {
      count("SecretRefreshFailures", { Outcome: outcome });
    },
    recordWebhookDelivery({ event, outcome }) {
      count("GitHubWebhookDeliveries", { Event: labelValue(event), Outcome: labelValue(outcome) });
    },
    flush,
    async close() {
      if (timer) clearInterval(timer);
      await flush();
    },
  };
}
