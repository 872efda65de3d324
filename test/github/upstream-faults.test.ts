import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { redactErrorText, redactSecrets } from "../../src/github/index.ts";
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

describe("upstream faults", () => {
  it("retries a 5xx on the GitHub call inside fn", async () => {
    const { tokens } = await brokerFor(github);
    github.faults.add({
      kind: "server-error",
      status: 502,
      count: 1,
      method: "GET",
      pathPrefix: "/repos/mycompany/web",
    });
    const name = await tokens.withToken(
      { repository: "mycompany/web", operation: "read" },
      recordingCall(),
      async (octokit) => {
        const { data } = await octokit.rest.repos.get({ owner: "mycompany", repo: "web" });
        return data.name;
      },
    );
    expect(name).toBe("web");
    expect(github.log.countRequests({ method: "GET", pathPrefix: "/repos/mycompany/web" })).toBe(2);
    await tokens.drain();
  });

  it("retries a 5xx on the mint itself", async () => {
    const { tokens } = await brokerFor(github);
    github.faults.add({
      kind: "server-error",
      status: 503,
      count: 1,
      method: "POST",
      pathPrefix: "/app/installations",
    });
    await tokens.withToken(
      { repository: "mycompany/web", operation: "read" },
      recordingCall(),
      async () => "ok",
    );
    expect(github.log.countRequests({ method: "POST", pathPrefix: "/app/installations" })).toBe(2);
    expect(github.log.mints).toHaveLength(1);
    await tokens.drain();
  });

  it("gives up after the configured retries with a redacted GitHubUpstreamError", async () => {
    const { tokens } = await brokerFor(github, { retries: 1 });
    github.faults.add({
      kind: "server-error",
      status: 500,
      method: "GET",
      pathPrefix: "/repos/mycompany/web",
    });
    let token = "";
    const error = await tokens
      .withToken({ repository: "mycompany/web", operation: "read" }, recordingCall(), async (octokit) => {
        token = await tokenOf(octokit);
        return octokit.rest.repos.get({ owner: "mycompany", repo: "web" });
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: "GITHUB_UPSTREAM_ERROR",
      status: 500,
      route: "GET /repos/mycompany/web",
    });
    expect(github.log.countRequests({ method: "GET", pathPrefix: "/repos/mycompany/web" })).toBe(2);
    const serialized = serializeError(error);
    expect(token).toMatch(TOKEN_PATTERN);
    expect(serialized).not.toContain(token);
    expect(serialized).not.toMatch(TOKEN_PATTERN);
    await tokens.drain();
    expect(github.log.revocations).toHaveLength(1);
  });

  it("waits retry-after on a secondary rate limit, then retries", async () => {
    const { tokens } = await brokerFor(github);
    github.faults.add({
      kind: "secondary-rate-limit",
      retryAfterSeconds: 1,
      count: 1,
      method: "GET",
      pathPrefix: "/repos/mycompany/web",
    });
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
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
    expect(github.log.countRequests({ method: "GET", pathPrefix: "/repos/mycompany/web" })).toBe(2);
    await tokens.drain();
  });

  it("stops retrying secondary rate limits after the configured count", async () => {
    const { tokens } = await brokerFor(github, { throttle: { secondaryRateLimitRetries: 1 } });
    github.faults.add({
      kind: "secondary-rate-limit",
      status: 429,
      retryAfterSeconds: 1,
      method: "GET",
      pathPrefix: "/repos/mycompany/web",
    });
    const error = await tokens
      .withToken({ repository: "mycompany/web", operation: "read" }, recordingCall(), (octokit) =>
        octokit.rest.repos.get({ owner: "mycompany", repo: "web" }),
      )
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "GITHUB_UPSTREAM_ERROR", status: 429 });
    expect(github.log.countRequests({ method: "GET", pathPrefix: "/repos/mycompany/web" })).toBe(2);
    await tokens.drain();
  });

  it("aborts a hung GitHub call after requestTimeoutMs and reports GITHUB_UNREACHABLE", async () => {
    const { tokens } = await brokerFor(github, { retries: 0, requestTimeoutMs: 200 });
    github.faults.add({
      kind: "latency",
      latencyMs: 1500,
      count: 1,
      method: "GET",
      pathPrefix: "/repos/mycompany/web",
    });
    const error = await tokens
      .withToken({ repository: "mycompany/web", operation: "read" }, recordingCall(), (octokit) =>
        octokit.rest.repos.get({ owner: "mycompany", repo: "web" }),
      )
      .catch((e: unknown) => e);
    // Ordering, not a stopwatch: the emulator logs the request when its delayed answer is sent, which has not
    // happened yet when the broker has already given up.
    expect(github.log.countRequests({ method: "GET", pathPrefix: "/repos/mycompany/web" })).toBe(0);
    expect(error).toMatchObject({ code: "GITHUB_UNREACHABLE", status: 0, route: "GET /repos/mycompany/web" });
    await tokens.drain();
    expect(github.log.revocations).toHaveLength(1);
    // The emulator logs the abandoned request when its delay ends; let that happen inside this test.
    await vi.waitFor(
      () => expect(github.log.countRequests({ method: "GET", pathPrefix: "/repos/mycompany/web" })).toBe(1),
      { timeout: 3000, interval: 50 },
    );
  });

  it("reports GITHUB_UNREACHABLE when nothing listens at baseUrl", async () => {
    const { tokens } = await brokerFor(github, { baseUrl: "http://127.0.0.1:9", retries: 0 });
    await expect(
      tokens.withToken(
        { repository: "mycompany/web", operation: "read" },
        recordingCall(),
        async () => "never",
      ),
    ).rejects.toMatchObject({ code: "GITHUB_UNREACHABLE", status: 0 });
  });

  it("never repeats credentials embedded in the GitHub base URL in an error", async () => {
    // Assembled at run time so no credential-shaped literal sits in the repository.
    const password = ["s3cret", "pass"].join("-");
    const withCredentials = github.url.replace("://", `://proxy-user:${password}@`);
    const { tokens } = await brokerFor(github, { baseUrl: withCredentials, retries: 0 });
    const error = await tokens
      .withToken({ repository: "mycompany/web", operation: "read" }, recordingCall(), async () => "never")
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "GITHUB_UNREACHABLE", status: 0 });
    const exposed = serializeError(error);
    expect(exposed).toContain("includes credentials");
    expect(exposed).not.toContain(password);
    expect(exposed).not.toContain("proxy-user");
  });

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

  it("waits for x-ratelimit-reset on a primary rate limit, once", async () => {
    const { tokens } = await brokerFor(github);
    github.faults.add({
      kind: "primary-rate-limit",
      retryAfterSeconds: 1,
      count: 1,
      method: "GET",
      pathPrefix: "/repos/mycompany/web",
    });
    const started = performance.now();
    await tokens.withToken({ repository: "mycompany/web", operation: "read" }, recordingCall(), (octokit) =>
      octokit.rest.repos.get({ owner: "mycompany", repo: "web" }),
    );
    expect(performance.now() - started).toBeGreaterThanOrEqual(900);
    expect(github.log.countRequests({ method: "GET", pathPrefix: "/repos/mycompany/web" })).toBe(2);
    await tokens.drain();
  });

  it("fails at once when the rate limit resets later than maxRetryAfterSeconds", async () => {
    const { tokens } = await brokerFor(github, { throttle: { maxRetryAfterSeconds: 5 } });
    github.faults.add({
      kind: "primary-rate-limit",
      retryAfterSeconds: 3600,
      method: "GET",
      pathPrefix: "/repos/mycompany/web",
    });
    // Had it waited for the reset (an hour), the test's own timeout would end it.
    const error = await tokens
      .withToken({ repository: "mycompany/web", operation: "read" }, recordingCall(), (octokit) =>
        octokit.rest.repos.get({ owner: "mycompany", repo: "web" }),
      )
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "GITHUB_UPSTREAM_ERROR", status: 403 });
    expect((error as Error).message).toMatch(/API rate limit exceeded/);
    expect(github.log.countRequests({ method: "GET", pathPrefix: "/repos/mycompany/web" })).toBe(1);
    await tokens.drain();
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

  it("reports a revocation that fails twice to the record's revokeFailed, without the token", async () => {
    const call = recordingCall();
    const { tokens } = await brokerFor(github, { retries: 0 });
    github.faults.add({
      kind: "server-error",
      status: 500,
      count: 2,
      method: "DELETE",
      pathPrefix: "/installation/token",
    });
    let token = "";
    await tokens.withToken({ repository: "mycompany/web", operation: "read" }, call, async (octokit) => {
      token = await tokenOf(octokit);
    });
    await tokens.drain();
    expect(call.revocations).toEqual([]);
    const errors = call.revokeFailures;
    expect(errors).toHaveLength(1);
    expect(errors[0]?.revocation).toMatchObject({ attempts: 2, repositories: ["mycompany/web"] });
    expect(errors[0]?.error).toMatchObject({ code: "GITHUB_UPSTREAM_ERROR", status: 500 });
    expect(serializeError(errors[0]?.error)).not.toContain(token);
    expect(github.log.countRequests({ method: "DELETE", pathPrefix: "/installation/token" })).toBe(2);
  });

  it("retries a failed revocation once", async () => {
    const call = recordingCall();
    const { tokens } = await brokerFor(github, { retries: 0 });
    github.faults.add({
      kind: "server-error",
      status: 502,
      count: 1,
      method: "DELETE",
      pathPrefix: "/installation/token",
    });
    await tokens.withToken({ repository: "mycompany/web", operation: "read" }, call, async () => undefined);
    await tokens.drain();
    expect(call.revocations).toMatchObject([{ attempts: 2 }]);
    expect(call.revokeFailures).toEqual([]);
    expect(github.log.revocations).toHaveLength(1);
  });
});
