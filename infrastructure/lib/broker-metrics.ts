/**
 * The broker's CloudWatch metrics as src/aws/emf-metrics.ts writes them: namespace (metrics.emf.namespace,
 * default "Repogate"), metric names and the exact dimension set of each. CloudWatch matches a metric only with
 * all of its dimensions, so alarms and graphs query them with Metrics Insights over the full set
 * (`SCHEMA(namespace, dims…)`) and filter on the values they care about. The alarm test checks every query
 * against what the metrics code really emits.
 */
export const BROKER_NAMESPACE = "Repogate";

/** A Metrics Insights aggregate over one broker metric. */
export interface BrokerMetricQuery {
  metric: string;
  /** Every dimension the broker emits the metric with (order does not matter). */
  dimensions: readonly string[];
  aggregate: "SUM" | "MIN" | "MAX" | "AVG";
  /** Keep only series whose dimension has one of these values (several keys are ANDed). */
  where?: Readonly<Record<string, readonly string[]>>;
  groupBy?: string;
}

const quote = (value: string) => `'${value.replace(/'/g, "''")}'`;

/** The Metrics Insights SQL for a query, e.g. `SELECT SUM(PolicyDecisions) FROM SCHEMA("Repogate", Code, Decision) WHERE Decision = 'deny'`. */
export function metricsInsightsSql(query: BrokerMetricQuery, namespace = BROKER_NAMESPACE): string {
  const schema = [`"${namespace}"`, ...[...query.dimensions].sort()].join(", ");
  const filters = Object.entries(query.where ?? {}).map(([key, values]) => {
    const alternatives = values.map((value) => `${key} = ${quote(value)}`);
    return alternatives.length === 1 ? alternatives[0] : `(${alternatives.join(" OR ")})`;
  });
  return [
    `SELECT ${query.aggregate}(${query.metric}) FROM SCHEMA(${schema})`,
    filters.length > 0 ? `WHERE ${filters.join(" AND ")}` : "",
    query.groupBy ? `GROUP BY ${query.groupBy}` : "",
  ]
    .filter(Boolean)
    .join(" ");
}

/** The 5xx statuses the broker answers with (its own 500/502/503/504; others are proxies'). */
export const SERVER_ERROR_STATUSES = ["500", "502", "503", "504"] as const;
