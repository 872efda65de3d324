import type { CallObserver } from "../audit/call-record.ts";
import type { AppJwtSigner } from "../github/app-jwt-signer.ts";
import type { Metrics } from "./metrics.ts";

/** Wraps an App JWT signer so each KMS Sign is counted and timed (PEM signers are left alone). */
export function instrumentSigner(signer: AppJwtSigner, metrics: Metrics): AppJwtSigner {
  if (signer.describe().kind !== "kms") return signer;
  return {
    describe: () => signer.describe(),
    ...(signer.keyCreatedAt ? { keyCreatedAt: signer.keyCreatedAt.bind(signer) } : {}),
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

/** Counts every tool call's decisions, tokens and result (an observer of the call records). */
export function callMetrics(
  metrics: Pick<
    Metrics,
    "recordPolicyDecision" | "recordToolCall" | "recordTokenGrant" | "recordTokenRevocation"
  >,
): CallObserver {
  return {
    decided(_call, { decision }) {
      metrics.recordPolicyDecision({ decision: decision.allowed ? "allow" : "deny", code: decision.code });
    },
    granted() {
      metrics.recordTokenGrant();
    },
    revoked() {
      metrics.recordTokenRevocation({ outcome: "ok" });
    },
    revokeFailed(_call, _error, revocation) {
      metrics.recordTokenRevocation({ outcome: "failed", reason: revocation.reason });
    },
    finished(call, { outcome, latencyMs }) {
      metrics.recordToolCall({ tool: call.request.tool, outcome, durationMs: latencyMs });
    },
  };
}
