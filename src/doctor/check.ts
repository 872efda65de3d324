import type { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import type { KMSClient } from "@aws-sdk/client-kms";
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { RepogateConfig } from "../config/schema.ts";
import type { GitHubClients } from "../github/index.ts";

/** What one check found: `pass`, `fail` (with a concrete fix), or `skip` (does not apply to this config). */
export interface CheckResult {
  status: "pass" | "fail" | "skip";
  detail: string;
  /** What to do about a failure, in one or two sentences. */
  fix?: string;
}

/** The AWS clients checks use; built once from config (or injected by tests). */
export interface DoctorAwsClients {
  kms: Pick<KMSClient, "send">;
  secretsManager: Pick<SecretsManagerClient, "send">;
  logs: Pick<CloudWatchLogsClient, "send">;
}

/** Everything a check may use: the validated config, clients, and limits. */
export interface DoctorContext {
  config: RepogateConfig;
  /** The environment for `REPOGATE_SECRET_*` lookups (local secret store). */
  env: Record<string, string | undefined>;
  aws: DoctorAwsClients;
  /** Per-check deadline; a dead endpoint fails its check instead of hanging doctor. */
  timeoutMs: number;
  /** The GitHub App client, built once and shared by the GitHub checks. */
  github(): Promise<GitHubClients>;
  /** Optional probe of the real audit sink (the integrator's); replaces the built-in writability check. */
  auditProbe?: () => Promise<string>;
}

/** One named check. */
export interface DoctorCheck {
  name: string;
  run(context: DoctorContext): Promise<CheckResult>;
  /** The fix shown when the check does not finish within the deadline. */
  fixOnTimeout: string;
}

/** A check's result with its name, as printed. */
export interface NamedResult extends CheckResult {
  name: string;
}

/** Shorthands for results. */
export const pass = (detail: string): CheckResult => ({ status: "pass", detail });
export const fail = (detail: string, fix: string): CheckResult => ({ status: "fail", detail, fix });
export const skip = (detail: string): CheckResult => ({ status: "skip", detail });

/** A short, safe description of an error: its code or name and message, never a cause chain. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  const cause = (error as { cause?: unknown }).cause;
  const causeText =
    cause instanceof Error ? ` (${(cause as { code?: string }).code ?? cause.name}: ${cause.message})` : "";
  // AWS SDK errors carry their meaning in `name` (NotFoundException), not in a `code`.
  const label = typeof code === "string" ? code : error.name !== "Error" ? error.name : undefined;
  return `${label ? `${label}: ` : ""}${error.message}${causeText}`.replace(/\s+/g, " ").trim();
}

/** Runs every check concurrently, each under the deadline, and returns results in the given order. */
export async function runChecks(checks: DoctorCheck[], context: DoctorContext): Promise<NamedResult[]> {
  return Promise.all(
    checks.map(async (check): Promise<NamedResult> => {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<CheckResult>((resolve) => {
        timer = setTimeout(
          () => resolve(fail(`no answer within ${context.timeoutMs} ms`, check.fixOnTimeout)),
          context.timeoutMs,
        );
      });
      try {
        const result = await Promise.race([
          check.run(context).catch((error: unknown) => fail(describeError(error), check.fixOnTimeout)),
          deadline,
        ]);
        return { name: check.name, ...result };
      } finally {
        clearTimeout(timer);
      }
    }),
  );
}

/** Renders results as one line per check (`✓`/`✗`/`-`, name, detail) with an indented fix under each failure. */
export function formatResults(results: NamedResult[]): string[] {
  const width = Math.max(...results.map((r) => r.name.length), 6);
  const lines: string[] = [];
  for (const r of results) {
    const mark = r.status === "pass" ? "✓" : r.status === "fail" ? "✗" : "-";
    lines.push(`${mark} ${r.name.padEnd(width)}  ${r.detail}`);
    if (r.status === "fail" && r.fix) lines.push(`  ${" ".repeat(width)}  fix: ${r.fix}`);
  }
  return lines;
}
