import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { type GitHubClientsOptions, redactErrorText, redactSecrets } from "../../src/github/index.ts";
import type { FaultInput } from "../../wrangler-free-local/github/index.ts";
import {
  brokerFor,
  type GitHubEmulator,
  recordingCall,
  serializeError,
  TOKEN_PATTERN,
  tokenOf,
  useGitHubEmulator,
} from "./harness.ts";

let github: GitHubEmulator;
useGitHubEmulator("repogate-faults-", (started) => {
  github = started;
});

const REPO = { method: "GET", pathPrefix: "/repos/mycompany/web" } as const;
const MINT = { method: "POST", pathPrefix: "/app/installations" } as const;
const REVOKE = { method: "DELETE", pathPrefix: "/installation/token" } as const;

/** Table rows as `[label, row]`, so `%s` names each test by its whole label (`$label` would cut it at 40 characters). */
function named<T extends { label: string }>(rows: T[]): Array<[string, T]> {
  return rows.map((row) => [row.label, row]);
}

describe("upstream faults", () => {
  /** A fault that clears: the call succeeds after the broker retried the faulted request once. */
  interface Recovered {
    label: string;
    options?: Partial<GitHubClientsOptions>;
    fault: FaultInput & { method: string; pathPrefix: string };
    /** The least the retry waited (Retry-After / x-ratelimit-reset), as measured around the call. */
    waitsAtLeastMs: number;
  }
  const recovered: Recovered[] = [
    {
      label: "retries a 5xx on the GitHub call inside fn",
      fault: { kind: "server-error", status: 502, count: 1, ...REPO },
      waitsAtLeastMs: 0,
    },
    {
      label: "retries a 5xx on the mint itself",
      fault: { kind: "server-error", status: 503, count: 1, ...MINT },
      waitsAtLeastMs: 0,
    },
    {
      label: "waits retry-after on a secondary rate limit, then retries",
      fault: { kind: "secondary-rate-limit", retryAfterSeconds: 1, count: 1, ...REPO },
      waitsAtLeastMs: 950,
    },
    {
      label: "waits for x-ratelimit-reset on a primary rate limit, once",
      fault: { kind: "primary-rate-limit", retryAfterSeconds: 1, count: 1, ...REPO },
      waitsAtLeastMs: 900,
    },
  ];

  it.each(named(recovered))("%s", async (_label, { options, fault, waitsAtLeastMs }) => {
    const { tokens } = await brokerFor(github, options);
    github.faults.add(fault);
    const started = performance.now();
    const name = await tokens.withToken(
      { repository: "mycompany/web", operation: "read" },
      recordingCall(),
      async (octokit) => {
        const { data } = await octokit.rest.repos.get({ owner: "mycompany", repo: "web" });
        return data.name;
      },
    );
    expect(name).toBe("web");
    expect(performance.now() - started).toBeGreaterThanOrEqual(waitsAtLeastMs);
    expect(github.log.countRequests({ method: fault.method, pathPrefix: fault.pathPrefix })).toBe(2);
    expect(github.log.mints).toHaveLength(1);
    await tokens.drain();
    expect(github.log.revocations).toHaveLength(1);
  });

  /** A fault the broker gives up on: the GitHub call inside fn fails with a typed, redacted error. */
  interface GaveUp {
    label: string;
    options: Partial<GitHubClientsOptions>;
    fault: FaultInput;
    error: Record<string, unknown>;
    message?: RegExp;
    /** GETs the emulator has logged when the error arrives, and once every answer has been sent. */
    requests: { atFailure: number; eventually: number };
  }
  const gaveUp: GaveUp[] = [
    {
      label: "gives up after the configured retries with a redacted GitHubUpstreamError",
      options: { retries: 1 },
      fault: { kind: "server-error", status: 500, ...REPO },
      error: { code: "GITHUB_UPSTREAM_ERROR", status: 500, route: "GET /repos/mycompany/web" },
      requests: { atFailure: 2, eventually: 2 },
    },
    {
      label: "stops retrying secondary rate limits after the configured count",
      options: { throttle: { secondaryRateLimitRetries: 1 } },
      fault: { kind: "secondary-rate-limit", status: 429, retryAfterSeconds: 1, ...REPO },
      error: { code: "GITHUB_UPSTREAM_ERROR", status: 429 },
      requests: { atFailure: 2, eventually: 2 },
    },
    {
      // Had it waited for the reset (an hour), the test's own timeout would end it.
      label: "fails at once when the rate limit resets later than maxRetryAfterSeconds",
      options: { throttle: { maxRetryAfterSeconds: 5 } },
      fault: { kind: "primary-rate-limit", retryAfterSeconds: 3600, ...REPO },
      error: { code: "GITHUB_UPSTREAM_ERROR", status: 403 },
      message: /API rate limit exceeded/,
      requests: { atFailure: 1, eventually: 1 },
    },
    {
      // Ordering, not a stopwatch: the emulator logs the request when its delayed answer is sent, which has not
      // happened yet when the broker has already given up; it does once the delay ends.
      label: "aborts a hung GitHub call after requestTimeoutMs and reports GITHUB_UNREACHABLE",
      options: { retries: 0, requestTimeoutMs: 200 },
      fault: { kind: "latency", latencyMs: 1500, count: 1, ...REPO },
      error: { code: "GITHUB_UNREACHABLE", status: 0, route: "GET /repos/mycompany/web" },
      requests: { atFailure: 0, eventually: 1 },
    },
  ];

  it.each(named(gaveUp))("%s", async (_label, { options, fault, error: expected, message, requests }) => {
    const { tokens } = await brokerFor(github, options);
    github.faults.add(fault);
    let token = "";
    const error = await tokens
      .withToken({ repository: "mycompany/web", operation: "read" }, recordingCall(), async (octokit) => {
        token = await tokenOf(octokit);
        return octokit.rest.repos.get({ owner: "mycompany", repo: "web" });
      })
      .catch((e: unknown) => e);
    expect(github.log.countRequests(REPO)).toBe(requests.atFailure);
    expect(error).toMatchObject(expected);
    if (message) expect((error as Error).message).toMatch(message);
    const serialized = serializeError(error);
    expect(token).toMatch(TOKEN_PATTERN);
    expect(serialized).not.toContain(token);
    expect(serialized).not.toMatch(TOKEN_PATTERN);
    await tokens.drain();
    expect(github.log.revocations).toHaveLength(1);
    // A hung request is logged once its delayed answer is sent: let that happen inside this test.
    await vi.waitFor(() => expect(github.log.countRequests(REPO)).toBe(requests.eventually), {
      timeout: 3000,
      interval: 50,
    });
  });

  // Assembled at run time so no credential-shaped literal sits in the repository.
  const password = ["s3cret", "pass"].join("-");
  const unreachable: Array<{ label: string; baseUrl: () => string; says: string[]; hides: string[] }> = [
    { label: "nothing listens at baseUrl", baseUrl: () => "http://127.0.0.1:9", says: [], hides: [] },
    {
      label: "the base URL embeds credentials, which the error never repeats",
      baseUrl: () => github.url.replace("://", `://proxy-user:${password}@`),
      says: ["includes credentials"],
      hides: [password, "proxy-user"],
    },
  ];

  it.each(named(unreachable))(
    "reports GITHUB_UNREACHABLE when %s",
    async (_label, { baseUrl, says, hides }) => {
      const { tokens } = await brokerFor(github, { baseUrl: baseUrl(), retries: 0 });
      const error = await tokens
        .withToken({ repository: "mycompany/web", operation: "read" }, recordingCall(), async () => "never")
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "GITHUB_UNREACHABLE", status: 0 });
      const exposed = serializeError(error);
      for (const text of says) expect(exposed).toContain(text);
      for (const text of hides) expect(exposed).not.toContain(text);
      expect(github.log.requests).toHaveLength(0);
    },
  );

  /** The revocation DELETE fails once (retried, then revoked) or twice (reported to the record's revokeFailed). */
  interface RevocationFault {
    label: string;
    fault: FaultInput;
    /** What the call's record is told, as `toMatchObject` patterns (exactly as many entries). */
    revoked: object[];
    revokeFailed: object[];
    revokedAtGitHub: number;
  }
  const revocationFaults: RevocationFault[] = [
    {
      label: "retries a failed revocation once",
      fault: { kind: "server-error", status: 502, count: 1, ...REVOKE },
      revoked: [{ attempts: 2, reason: "completed" }],
      revokeFailed: [],
      revokedAtGitHub: 1,
    },
    {
      label: "reports a revocation that fails twice to the record's revokeFailed, without the token",
      fault: { kind: "server-error", status: 500, count: 2, ...REVOKE },
      revoked: [],
      revokeFailed: [
        {
          revocation: { attempts: 2, repositories: ["mycompany/web"] },
          error: { code: "GITHUB_UPSTREAM_ERROR", status: 500 },
        },
      ],
      revokedAtGitHub: 0,
    },
  ];

  it.each(named(revocationFaults))(
    "%s",
    async (_label, { fault, revoked, revokeFailed, revokedAtGitHub }) => {
      const call = recordingCall();
      const { tokens } = await brokerFor(github, { retries: 0 });
      github.faults.add(fault);
      let token = "";
      await tokens.withToken({ repository: "mycompany/web", operation: "read" }, call, async (octokit) => {
        token = await tokenOf(octokit);
      });
      await tokens.drain();
      expect(call.revocations).toMatchObject(revoked);
      expect(call.revokeFailures).toMatchObject(revokeFailed);
      for (const failure of call.revokeFailures) expect(serializeError(failure.error)).not.toContain(token);
      expect(github.log.countRequests(REVOKE)).toBe(2);
      expect(github.log.revocations).toHaveLength(revokedAtGitHub);
    },
  );

  it("redacts JWTs in linear time (it runs over every file a tool returns) and as the one-step pattern did", () => {
    const started = performance.now();
    expect(redactSecrets("eyJ-".repeat(64_000))).toHaveLength(256_000);
    expect(performance.now() - started).toBeLessThan(1000);
    const oneStep = (text: string) =>
      text.replace(/\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g, "[REDACTED]");
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom("eyJ", "a", "-", "_", ".", " ", "Z9", "ghs_x", "/"), { maxLength: 40 }),
        (parts) => {
          const text = parts.join("");
          expect(redactSecrets(text)).toBe(oneStep(text.replace(/\bghs_[A-Za-z0-9_.\-=]+/g, "[REDACTED]")));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("redacts error text in linear time, whatever GitHub's message looks like", () => {
    const started = performance.now();
    // Many word boundaries followed by scheme-like characters and no "://": the shape that made an
    // unbounded scheme pattern quadratic (seconds for 200 KB).
    expect(redactErrorText("a.".repeat(100_000))).toHaveLength(200_000);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it("drops a cached App JWT that GitHub rejects (401), so the next request signs again", async () => {
    const { generateKeyPairSync } = await import("node:crypto");
    const wrongKey = generateKeyPairSync("rsa", { modulusLength: 2048 })
      .privateKey.export({ type: "pkcs8", format: "pem" })
      .toString();
    const { PemAppJwtSigner } = await import("../../src/github/pem-signer.ts");
    const { tokens, jwt } = await brokerFor(github, { signer: new PemAppJwtSigner(wrongKey) });
    for (let i = 0; i < 2; i++) {
      const error = await tokens
        .withToken({ repository: "mycompany/web", operation: "read" }, recordingCall(), async () => "never")
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "GITHUB_UPSTREAM_ERROR", status: 401 });
      expect(serializeError(error)).not.toMatch(/eyJ[A-Za-z0-9_-]+\./);
    }
    expect(jwt.signatureCount).toBe(2);
    expect(github.log.mints).toHaveLength(0);
  });
});
