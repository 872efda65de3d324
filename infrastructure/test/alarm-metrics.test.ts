/**
 * Every alarm watches a metric the broker really emits: the namespace, metric name and exact dimension set of
 * each alarm's Metrics Insights query, and every value it filters on, are checked against the EMF documents
 * src/aws/emf-metrics.ts writes when the broker's instruments fire (through src/metrics/instrument.ts where the
 * broker goes through it). A renamed metric or an added dimension in the metrics code fails this test.
 */
import { describe, expect, it } from "vitest";
import { createEmfMetrics, type EmfDocument } from "../../src/aws/emf-metrics.ts";
import { configSchema } from "../../src/config/schema.ts";
import { callMetrics, instrumentSigner, recordGitHubResponse } from "../../src/metrics/instrument.ts";
import type { Metrics } from "../../src/metrics/metrics.ts";
import { brokerAlarms } from "../lib/alarm-catalog.ts";
import { synthesize } from "./synthesize.ts";

type Instrument = Exclude<keyof Metrics, "flush" | "close">;

/** Fires each instrument the way the broker does; the mapped type makes a new instrument a compile error here. */
async function fireEveryInstrument(metrics: Metrics): Promise<void> {
  const kmsSigner = (fail: boolean) =>
    instrumentSigner(
      {
        describe: () => ({ kind: "kms", summary: "kms key alias/repogate-github-app" }),
        sign: async () => {
          if (fail) throw new Error("KMSInvalidStateException");
          return new Uint8Array(256);
        },
      },
      metrics,
    );
  // The broker's call records are observed by callMetrics; a stand-in call carries only what it reads.
  const observer = callMetrics(metrics);
  const call = { request: { id: "r1", tool: "get_file_contents" } } as never;
  const revocation = { fingerprint: "0123456789abcdef", installationId: 1, repositories: [], attempts: 1 };
  const fire: Record<Instrument, () => unknown> = {
    recordToolCall: () => {
      for (const outcome of ["ok", "denied", "error", "rate_limited", "invalid"])
        observer.finished?.(call, { repository: null, outcome, latencyMs: 12 } as never);
    },
    recordPolicyDecision: () => {
      observer.decided?.(call, { decision: { allowed: false, code: "NOT_IN_WHITELIST" } } as never);
      observer.decided?.(call, { decision: { allowed: true, code: "ALLOWED" } } as never);
    },
    recordTokenGrant: () => observer.granted?.(call, {} as never),
    recordTokenRevocation: () => {
      observer.revoked?.(call, { ...revocation, reason: "completed" });
      observer.revokeFailed?.(call, new Error("GitHub 502"), {
        ...revocation,
        reason: "shutdown",
        attempts: 2,
      });
    },
    recordAuthFailure: () => metrics.recordAuthFailure({ reason: "INVALID_TOKEN" }),
    recordRateLimitRefusal: () => {
      metrics.recordRateLimitRefusal({ scope: "principal" });
      metrics.recordRateLimitRefusal({ scope: "failed_auth" });
    },
    recordGitHubRequest: () => {
      for (const status of [200, 403, 502]) recordGitHubResponse(metrics, { status });
    },
    setGitHubRateLimitRemaining: () =>
      recordGitHubResponse(metrics, { status: 200, headers: { "x-ratelimit-remaining": "4999" } }, 42),
    recordKmsSign: async () => {
      await kmsSigner(false).sign("header.payload");
      await kmsSigner(true)
        .sign("header.payload")
        .catch(() => undefined);
    },
    setAuditQueueDepth: () => metrics.setAuditQueueDepth(3),
    recordAuditDeliveryFailure: () => {
      metrics.recordAuditDeliveryFailure({ sink: "cloudwatch", reason: "failed" });
      metrics.recordAuditDeliveryFailure({ sink: "cloudwatch", reason: "spooled" });
    },
    recordHttpRequest: () => {
      for (const status of [200, 401, 500, 502, 503, 504]) {
        metrics.recordHttpRequest({ method: "POST", route: "/mcp", status, durationMs: 30 });
      }
      metrics.recordHttpRequest({ method: "GET", route: "/healthz", status: 200, durationMs: 1 });
    },
    setAppKeyAgeDays: () => metrics.setAppKeyAgeDays(200),
    recordWebhookDelivery: () => metrics.recordWebhookDelivery({ event: "installation", outcome: "ok" }),
    recordSecretRefreshFailure: () => {
      metrics.recordSecretRefreshFailure({ outcome: "stale-served" });
      metrics.recordSecretRefreshFailure({ outcome: "failed" });
    },
  };
  for (const instrument of Object.values(fire)) await instrument();
}

/** What the broker emits: per metric, its namespace, dimension set and the values seen per dimension. */
interface Emitted {
  namespace: string;
  dimensionSets: Set<string>;
  values: Map<string, Set<string>>;
}

async function emittedCatalog(): Promise<Map<string, Emitted>> {
  const namespace = configSchema.parse({
    publicUrl: "https://repogate.example.com",
    auth: { oidc: { issuer: "https://sso.example.com", requiredScopes: ["mcp:tools"] } },
    github: { appId: 1, signer: { type: "kms", keyId: "alias/x" } },
    policy: { file: "policy.yaml" },
  }).metrics.emf.namespace;
  const lines: string[] = [];
  const metrics = createEmfMetrics({ write: (line) => lines.push(line), namespace, flushIntervalMs: 0 });
  await fireEveryInstrument(metrics);
  await metrics.close();
  const catalog = new Map<string, Emitted>();
  for (const document of lines.map((line) => JSON.parse(line) as EmfDocument)) {
    for (const directive of document._aws.CloudWatchMetrics) {
      for (const metric of directive.Metrics) {
        const entry = catalog.get(metric.Name) ?? {
          namespace: directive.Namespace,
          dimensionSets: new Set(),
          values: new Map(),
        };
        for (const set of directive.Dimensions) {
          entry.dimensionSets.add([...set].sort().join(","));
          for (const key of set) {
            const seen = entry.values.get(key) ?? new Set<string>();
            seen.add(String(document[key]));
            entry.values.set(key, seen);
          }
        }
        catalog.set(metric.Name, entry);
      }
    }
  }
  return catalog;
}

const QUERY =
  /^SELECT (SUM|MIN|MAX|AVG)\((\w+)\) FROM SCHEMA\("([^"]+)"((?:, \w+)*)\)(?: WHERE (.+?))?(?: GROUP BY (\w+))?$/;

/** Problems with one Metrics Insights query against what is emitted (empty: it watches a real series). */
function problemsOf(sql: string, catalog: Map<string, Emitted>): string[] {
  const match = QUERY.exec(sql);
  if (!match) return [`not a query this test understands: ${sql}`];
  const [, , metric = "", namespace, dims = ""] = match;
  const where = match[5] ?? "";
  const emitted = catalog.get(metric);
  if (!emitted) return [`${metric} is not emitted by the broker`];
  const problems: string[] = [];
  if (namespace !== emitted.namespace)
    problems.push(`${metric}: namespace ${namespace}, emitted in ${emitted.namespace}`);
  const schema = dims
    .split(",")
    .map((d) => d.trim())
    .filter(Boolean)
    .sort()
    .join(",");
  if (!emitted.dimensionSets.has(schema)) {
    problems.push(
      `${metric}: dimensions [${schema}], emitted with ${[...emitted.dimensionSets].map((s) => `[${s}]`).join(" ")}`,
    );
  }
  for (const [, key = "", value = ""] of where.matchAll(/(\w+) = '([^']*)'/g)) {
    if (!emitted.values.get(key)?.has(value))
      problems.push(`${metric}: ${key} = '${value}' is never emitted`);
  }
  return problems;
}

describe("alarms watch metrics the broker emits", async () => {
  const catalog = await emittedCatalog();
  const { templates } = synthesize();

  for (const [variant, template] of Object.entries({
    fargate: templates.fargate,
    lambda: templates.lambda,
  })) {
    it(`every ${variant} alarm's namespace, metric, dimensions and filter values are emitted`, () => {
      const alarms = Object.entries(template.findResources("AWS::CloudWatch::Alarm"));
      const expected = brokerAlarms({ appKeyMaxAgeDays: 180 }).filter(
        (s) => !s.variants || s.variants.includes(variant as never),
      );
      expect(alarms).toHaveLength(expected.length);
      for (const [id, alarm] of alarms) {
        const queries = (alarm.Properties.Metrics ?? []) as { Expression?: string }[];
        // A plain MetricName alarm would bypass this check; every alarm here is one Metrics Insights query.
        expect(alarm.Properties.MetricName, id).toBeUndefined();
        expect(queries, id).toHaveLength(1);
        expect(problemsOf(queries[0]?.Expression ?? "", catalog), id).toEqual([]);
      }
    });
  }

  it("every dashboard graph queries emitted metrics, and its Logs Insights widgets read the audit log group", () => {
    for (const template of [templates.fargate, templates.lambda]) {
      const dashboard = Object.values(template.findResources("AWS::CloudWatch::Dashboard"))[0] as {
        Properties: { DashboardBody: { "Fn::Join": [string, (string | { Ref: string })[]] } };
      };
      // Tokens (region, log group) become placeholders so the body parses as the JSON CloudWatch receives.
      const body = JSON.parse(
        dashboard.Properties.DashboardBody["Fn::Join"][1]
          .map((part) => (typeof part === "string" ? part : `<${part.Ref}>`))
          .join(""),
      ) as {
        widgets: { type: string; properties: { metrics?: unknown[][]; query?: string; title?: string } }[];
      };
      const graphs = body.widgets.filter((w) => w.type === "metric");
      const logQueries = body.widgets.filter((w) => w.type === "log");
      expect(graphs.length).toBeGreaterThanOrEqual(4);
      expect(logQueries.length).toBeGreaterThanOrEqual(3);
      for (const graph of graphs) {
        for (const line of graph.properties.metrics ?? []) {
          const options = line.find((item) => typeof item === "object" && item !== null) as {
            expression?: string;
          };
          if (options?.expression) {
            expect(problemsOf(options.expression, catalog), graph.properties.title).toEqual([]);
          } else {
            // A plain metric line: [namespace, name, dimension, value, …, options].
            const [namespace, name, ...rest] = line.filter((item) => typeof item === "string") as string[];
            const dims = rest
              .filter((_, i) => i % 2 === 0)
              .sort()
              .join(",");
            expect(namespace).toBe(catalog.get(name as string)?.namespace);
            expect(catalog.get(name as string)?.dimensionSets.has(dims), `${name} [${dims}]`).toBe(true);
          }
        }
      }
      for (const widget of logQueries) {
        expect(widget.properties.query).toMatch(/^SOURCE '<LogsAudit[0-9A-F]+>'/);
      }
    }
  });

  it("the check can fail: a renamed metric, a missing dimension and an unemitted value are each reported", () => {
    expect(problemsOf(`SELECT SUM(PolicyDenials) FROM SCHEMA("Repogate", Code, Decision)`, catalog)).toEqual([
      "PolicyDenials is not emitted by the broker",
    ]);
    expect(problemsOf(`SELECT SUM(PolicyDecisions) FROM SCHEMA("Repogate", Decision)`, catalog)[0]).toMatch(
      /dimensions \[Decision\], emitted with \[Code,Decision\]/,
    );
    expect(
      problemsOf(
        `SELECT SUM(TokenRevocations) FROM SCHEMA("Repogate", Outcome) WHERE Outcome = 'failure'`,
        catalog,
      ),
    ).toEqual(["TokenRevocations: Outcome = 'failure' is never emitted"]);
    expect(problemsOf(`SELECT MAX(AppKeyAgeDays) FROM SCHEMA("Broker")`, catalog)[0]).toMatch(
      /namespace Broker/,
    );
  });
});
