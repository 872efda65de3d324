import { Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import type * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import { type BrokerMetricQuery, metricsInsightsSql, SERVER_ERROR_STATUSES } from "./broker-metrics.ts";

/**
 * The seed's four panels: API calls; repository access patterns (per repository and per user, from the audit
 * log group with Logs Insights); error rate and latency; abnormal access attempts (denials, failed sign-ins,
 * rate-limit refusals).
 */
export class BrokerDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(
    scope: Construct,
    id: string,
    props: { dashboardName: string; namespace: string; auditLogGroup: logs.ILogGroup },
  ) {
    super(scope, id);
    const insights = (label: string, query: BrokerMetricQuery) =>
      new cloudwatch.MathExpression({
        expression: metricsInsightsSql(query, props.namespace),
        usingMetrics: {},
        period: Duration.minutes(5),
        label,
      });
    const latency = (statistic: string) =>
      new cloudwatch.Metric({
        namespace: props.namespace,
        metricName: "HttpLatency",
        dimensionsMap: { Route: "/mcp" },
        statistic,
        period: Duration.minutes(5),
        label: `/mcp ${statistic}`,
      });
    const auditQuery = (title: string, lines: string[]) =>
      new cloudwatch.LogQueryWidget({
        title,
        logGroupNames: [props.auditLogGroup.logGroupName],
        queryLines: lines,
        view: cloudwatch.LogQueryVisualizationType.TABLE,
        width: 12,
        height: 6,
      });

    this.dashboard = new cloudwatch.Dashboard(this, "Dashboard", {
      dashboardName: props.dashboardName,
      widgets: [
        [new cloudwatch.TextWidget({ markdown: "## API calls", width: 24, height: 1 })],
        [
          new cloudwatch.GraphWidget({
            title: "Tool calls by tool",
            width: 12,
            left: [
              insights("calls", {
                metric: "ToolCalls",
                dimensions: ["Tool", "Outcome"],
                aggregate: "SUM",
                groupBy: "Tool",
              }),
            ],
          }),
          new cloudwatch.GraphWidget({
            title: "Token grants and GitHub requests",
            width: 12,
            left: [
              insights("grants", { metric: "TokenGrants", dimensions: [], aggregate: "SUM" }),
              insights("GitHub requests", {
                metric: "GitHubRequests",
                dimensions: ["Status"],
                aggregate: "SUM",
                groupBy: "Status",
              }),
            ],
          }),
        ],
        [
          new cloudwatch.TextWidget({
            markdown: "## Repository access patterns (audit trail)",
            width: 24,
            height: 1,
          }),
        ],
        [
          auditQuery("Tokens granted per repository", [
            'filter type = "token.grant"',
            "stats count(*) as grants by resource.repo",
            "sort grants desc",
            "limit 25",
          ]),
          auditQuery("Tool calls per user", [
            'filter type = "tool.call"',
            "stats count(*) as calls, avg(latencyMs) as avgMs by principal.email",
            "sort calls desc",
            "limit 25",
          ]),
        ],
        [new cloudwatch.TextWidget({ markdown: "## Error rate and latency", width: 24, height: 1 })],
        [
          new cloudwatch.GraphWidget({
            title: "5xx responses",
            width: 12,
            left: [
              insights("5xx", {
                metric: "HttpRequests",
                dimensions: ["Route", "Status"],
                aggregate: "SUM",
                where: { Status: SERVER_ERROR_STATUSES },
              }),
              insights("tool errors", {
                metric: "ToolCalls",
                dimensions: ["Tool", "Outcome"],
                aggregate: "SUM",
                where: { Outcome: ["error"] },
              }),
              insights("audit delivery failures", {
                metric: "AuditDeliveryFailures",
                dimensions: ["Sink", "Reason"],
                aggregate: "SUM",
              }),
              insights("KMS sign errors", {
                metric: "KmsSigns",
                dimensions: ["Outcome"],
                aggregate: "SUM",
                where: { Outcome: ["error"] },
              }),
            ],
          }),
          new cloudwatch.GraphWidget({
            title: "/mcp latency (ms)",
            width: 12,
            left: [latency("p50"), latency("p90"), latency("p99")],
          }),
        ],
        [new cloudwatch.TextWidget({ markdown: "## Abnormal access attempts", width: 24, height: 1 })],
        [
          new cloudwatch.GraphWidget({
            title: "Denials, failed sign-ins, rate-limit refusals",
            width: 12,
            left: [
              insights("policy denials", {
                metric: "PolicyDecisions",
                dimensions: ["Decision", "Code"],
                aggregate: "SUM",
                where: { Decision: ["deny"] },
              }),
              insights("failed sign-ins", {
                metric: "AuthFailures",
                dimensions: ["Reason"],
                aggregate: "SUM",
              }),
              insights("rate-limit refusals", {
                metric: "RateLimitRefusals",
                dimensions: ["Scope"],
                aggregate: "SUM",
              }),
            ],
          }),
          auditQuery("Denied and refused callers", [
            'filter type = "access.deny" or type = "auth.fail" or type = "rate.limit"',
            "stats count(*) as attempts by type, principal.email, request.ip, resource.repo",
            "sort attempts desc",
            "limit 25",
          ]),
        ],
      ],
    });
  }
}
