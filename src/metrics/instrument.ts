import type { AppJwtSigner } from "../github/app-jwt-signer.ts";
import type { ToolEvents } from "../mcp/events.ts";
import type { Metrics } from "./metrics.ts";

/** Wraps an App JWT signer so each KMS Sign is counted and timed (PEM signers are left alone). */
export function instrumentSigner(signer: AppJwtSigner, metrics: Metrics): AppJwtSigner {
  if (signer.describe().kind !== "kms") return signer;
  return {
    describe: () => signer.describe(),
    async sign(signingInput) {
      const started = performance.now();
      try {
        const signature = await signer.sign(signingInput);
        metrics.recordKmsSign({ outcome: "ok", durationMs: performance.now() - started });
        return signature;
      } catch (error) {
        metrics.recordKmsSign({ outcome: "error", durationMs: performance.now() - started });
        throw error;
      }
    },
  };
}

/** Records one GitHub response: its status, and the installation's remaining rate limit when the header is there. */
export function recordGitHubResponse(
  metrics: Metrics,
  response: { status: number; headers?: Record<string, string | number | undefined> },
  installationId?: number | string,
): void {
  metrics.recordGitHubRequest({ status: response.status });
  const remaining = Number(response.headers?.["x-ratelimit-remaining"]);
  if (installationId !== undefined && response.headers?.["x-ratelimit-remaining"] !== undefined) {
    if (Number.isFinite(remaining)) metrics.setGitHubRateLimitRemaining({ installationId, remaining });
  }
}

/** MCP tool hooks that count policy decisions and tool calls (compose with the audit hooks). */
export function toolEventMetrics(
  metrics: Pick<Metrics, "recordPolicyDecision" | "recordToolCall">,
): ToolEvents {
  return {
    onDecision({ decision }) {
      metrics.recordPolicyDecision({ decision: decision.allowed ? "allow" : "deny", code: decision.code });
    },
    onToolResult({ tool, outcome, latencyMs }) {
      metrics.recordToolCall({ tool, outcome, durationMs: latencyMs });
    },
  };
}
