import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { CreateLogGroupCommand } from "@aws-sdk/client-cloudwatch-logs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DoctorOptions, runDoctor } from "../../src/doctor/run.ts";
import { type DoctorStack, runDoctorCli, startDoctorStack } from "./harness.ts";

let stack: DoctorStack;
let hung: Server;
let hungPort: number;

beforeAll(async () => {
  stack = await startDoctorStack();
  // Accepts connections and never answers: a dead endpoint must not hang doctor.
  hung = createServer(() => undefined);
  await new Promise<void>((resolve) => hung.listen(0, "127.0.0.1", resolve));
  hungPort = (hung.address() as { port: number }).port;
}, 60_000);
afterAll(async () => {
  hung?.close();
  await stack?.close();
});

function merge(base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    const current = out[key];
    out[key] =
      value && typeof value === "object" && !Array.isArray(value) && current && typeof current === "object"
        ? merge(current as Record<string, unknown>, value as Record<string, unknown>)
        : value;
  }
  return out;
}

async function doctor(patch: Record<string, unknown>, options: Partial<DoctorOptions> = {}) {
  const file = await stack.writeConfig(
    `config-${Math.random().toString(36).slice(2)}.yaml`,
    merge(stack.goodConfig, patch),
  );
  const lines: string[] = [];
  const run = await runDoctor({
    configFile: file,
    env: {},
    aws: stack.clients,
    timeoutMs: 5_000,
    print: (line) => lines.push(line),
    ...options,
  });
  return {
    ...run,
    output: lines.join("\n"),
    byName: Object.fromEntries(run.results.map((r) => [r.name, r])),
  };
}

describe("repogate doctor (in-process, against the emulators and the dev IdP)", () => {
  it("passes every check against a healthy stack", async () => {
    const { exitCode, results, output } = await doctor({});
    expect(results.map((r) => [r.name, r.status])).toEqual([
      ["config", "pass"],
      ["policy", "pass"],
      ["idp", "pass"],
      ["github app", "pass"],
      ["github installations", "pass"],
      ["github webhook", "pass"],
      ["kms key", "pass"],
      ["secrets", "pass"],
      ["audit", "pass"],
    ]);
    expect(exitCode).toBe(0);
    expect(output).toMatch(/✓ kms key +.*RSA_2048, SIGN_VERIFY, enabled, test Sign ok/);
    expect(output).toMatch(/✓ github app +App .* authenticated with KMS key alias\/repogate-doctor-test/);
    expect(output).toMatch(/✓ secrets +2 secrets readable/);
    expect(output).not.toContain("✗");
  });

  it("fails a check that cannot finish within the deadline instead of hanging", async () => {
    const started = Date.now();
    const { byName, exitCode } = await doctor(
      { auth: { oidc: { issuer: `http://127.0.0.1:${hungPort}`, requiredScopes: ["mcp:tools"] } } },
      { timeoutMs: 400 },
    );
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(exitCode).toBe(1);
    expect(byName.idp?.status).toBe("fail");
    expect(byName.idp?.fix).toMatch(/issuer|reachable/);
  });

  it("names missing secrets and a missing CloudWatch log group, with the fix", async () => {
    const { byName, output } = await doctor({
      secrets: { apiKeysSecret: "repogate/absent" },
      audit: { sink: "cloudwatch", logGroup: "/repogate/doctor-audit" },
    });
    expect(byName.secrets).toMatchObject({ status: "fail" });
    expect(byName.secrets?.detail).toContain("repogate/absent");
    expect(byName.secrets?.fix).toContain("create secret repogate/absent");
    expect(byName.audit).toMatchObject({ status: "fail" });
    expect(byName.audit?.fix).toContain("create log group /repogate/doctor-audit");
    expect(output).toMatch(/✗ audit .*\n +fix: create log group/);

    await stack.clients.logs.send(new CreateLogGroupCommand({ logGroupName: "/repogate/doctor-audit" }));
    const again = await doctor({ audit: { sink: "cloudwatch", logGroup: "/repogate/doctor-audit" } });
    expect(again.byName.audit?.status).toBe("pass");
  });

  it("reports an unreadable policy and an invalid config with their fixes", async () => {
    const badPolicy = await doctor({ policy: { file: join(stack.dir, "missing-policy.yaml") } });
    expect(badPolicy.byName.policy).toMatchObject({ status: "fail" });
    expect(badPolicy.byName.policy?.fix).toContain("repogate policy check");

    const badConfig = await doctor({ github: { appId: "not-a-number" } });
    expect(badConfig.exitCode).toBe(1);
    expect(badConfig.results).toHaveLength(1);
    expect(badConfig.byName.config).toMatchObject({ status: "fail" });
    expect(badConfig.byName.config?.detail).toContain("github.appId");
  });

  it("fails the audit check when the JSONL directory cannot be written", async () => {
    const blocker = await stack.writeConfig("not-a-directory", {});
    const { byName } = await doctor({ audit: { file: join(blocker, "audit", "audit.jsonl") } });
    expect(byName.audit).toMatchObject({ status: "fail" });
    expect(byName.audit?.detail).toMatch(/not writable: .*(ENOTDIR|EEXIST)/);
    expect(byName.audit?.fix).toContain("write access");
  });

  it("reads secrets from the local store (REPOGATE_SECRET_*) and names the missing variable", async () => {
    const local = { secrets: { store: "local", apiKeysSecret: "keys", webhookSecret: "hook" } };
    const ok = await doctor(local, { env: { REPOGATE_SECRET_KEYS: "[]", REPOGATE_SECRET_HOOK: "h" } });
    expect(ok.byName.secrets).toMatchObject({ status: "pass" });
    expect(ok.byName.secrets?.detail).toContain("environment variables REPOGATE_SECRET_*");
    const missing = await doctor(local, { env: { REPOGATE_SECRET_KEYS: "[]" } });
    expect(missing.byName.secrets).toMatchObject({ status: "fail" });
    expect(missing.byName.secrets?.detail).toContain("REPOGATE_SECRET_HOOK");
    expect(missing.byName.secrets?.detail).not.toContain("[]");
  });

  it("says when the App key belongs to another App", async () => {
    const { byName } = await doctor({ github: { appId: 999_999 } });
    expect(byName["github app"]?.status).toBe("fail");
    expect(byName["github app"]?.fix).toMatch(/github\.appId|App/);
  });
});

describe("repogate doctor (the CLI, spawned)", () => {
  it("exits 0 with one ✓ line per check against the running stack", async () => {
    const file = await stack.writeConfig("cli-good.yaml", stack.goodConfig);
    const { code, stdout } = await runDoctorCli(["--config", file]);
    expect(stdout).toContain("✓ config");
    expect(stdout).toContain("✓ kms key");
    expect(stdout).toContain("all checks passed");
    expect(code).toBe(0);
  }, 30_000);

  it("exits 1 with ✗ and a fix for a wrong KMS key id and a dead IdP", async () => {
    const idpDown = "http://127.0.0.1:1"; // nothing listens on port 1
    const file = await stack.writeConfig(
      "cli-bad.yaml",
      merge(stack.goodConfig, {
        auth: { oidc: { issuer: idpDown, requiredScopes: ["mcp:tools"] } },
        github: { signer: { keyId: "alias/does-not-exist" } },
      }),
    );
    const { code, stdout } = await runDoctorCli(["--config", file, "--timeout", "5000"]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/✗ idp +discovery of http:\/\/127\.0\.0\.1:1 failed/);
    expect(stdout).toMatch(/✗ kms key +DescribeKey alias\/does-not-exist: .*NotFound/);
    expect(stdout).toMatch(/fix: no KMS key alias\/does-not-exist in us-east-1/);
    expect(stdout).toMatch(/✗ github app .*\n +fix: the App JWT could not be signed/);
    expect(stdout).toContain("✓ policy");
    expect(stdout).toMatch(/\d checks failed/);
  }, 30_000);
});
