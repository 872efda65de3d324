import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig, parseConfig } from "../../src/config/index.ts";

const minimal = {
  publicUrl: "https://repogate.example.com",
  auth: { oidc: { issuer: "https://sso.example.com", requiredScopes: ["mcp:tools"] } },
  github: { appId: 42, signer: { type: "kms", keyId: "alias/repogate-app" } },
  policy: { file: "policy.yaml" },
};

describe("config", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "repogate-config-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("fills secure defaults around a minimal config", () => {
    const config = parseConfig(minimal);
    expect(config.listen).toEqual({ host: "127.0.0.1", port: 8700 });
    expect(config.audit.onFailure).toBe("deny");
    expect(config.github.tokenReuse.enabled).toBe(false);
    expect(config.github.apiUrl).toBe("https://api.github.com");
    expect(config.auth.oidc.clockToleranceSec).toBe(30);
  });

  it("names every bad setting by its path", () => {
    const bad = { ...minimal, github: { appId: -1, signer: { type: "vault" } }, typo: true };
    try {
      parseConfig(bad);
      expect.unreachable("an invalid config must throw");
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const issues = (error as ConfigError).issues.join("\n");
      expect(issues).toMatch(/github\.appId/);
      expect(issues).toMatch(/github\.signer/);
      expect(issues).toMatch(/typo|Unrecognized key/);
    }
  });

  it("requires the scope every MCP message must carry", () => {
    const { requiredScopes: _omitted, ...oidc } = minimal.auth.oidc;
    expect(() => parseConfig({ ...minimal, auth: { oidc } })).toThrow(/auth\.oidc\.requiredScopes/);
    expect(() => parseConfig({ ...minimal, auth: { oidc: { ...oidc, requiredScopes: [] } } })).toThrow(
      /set the scope\(s\) your IdP puts in access tokens/,
    );
  });

  it("refuses a clock tolerance above the verifier's 60 s cap", () => {
    expect(() =>
      parseConfig({ ...minimal, auth: { oidc: { ...minimal.auth.oidc, clockToleranceSec: 61 } } }),
    ).toThrow(/auth\.oidc\.clockToleranceSec/);
  });

  it("reads YAML and lets REPOGATE_* variables override single settings", async () => {
    const file = path.join(dir, "repogate.yaml");
    await writeFile(
      file,
      `publicUrl: https://a.example.com\nauth: {oidc: {issuer: "https://sso.example.com", requiredScopes: [mcp:tools]}}\ngithub: {appId: 1, signer: {type: pem, privateKeyPath: k.pem}}\npolicy: {file: p.yaml}\n`,
    );
    const config = await loadConfig({
      file,
      env: { REPOGATE_PORT: "9000", REPOGATE_OIDC_AUDIENCES: "api://x, https://a.example.com/mcp" },
    });
    expect(config.listen.port).toBe(9000);
    expect(config.auth.oidc.audiences).toEqual(["api://x", "https://a.example.com/mcp"]);
    await expect(loadConfig({ file, env: { REPOGATE_PORT: "eighty" } })).rejects.toThrow(
      /REPOGATE_PORT must be a number/,
    );
  });

  it("switches to the KMS signer when REPOGATE_KMS_KEY_ID is set, whatever signer the file names", async () => {
    const file = path.join(dir, "pem.yaml");
    await writeFile(
      file,
      `publicUrl: https://a.example.com\nauth: {oidc: {issuer: "https://sso.example.com", requiredScopes: [mcp:tools]}}\ngithub: {appId: 1, signer: {type: pem, privateKeyPath: k.pem}}\npolicy: {file: p.yaml}\n`,
    );
    const fromFile = await loadConfig({ file, env: { REPOGATE_KMS_KEY_ID: "alias/repogate-app" } });
    expect(fromFile.github.signer).toEqual({ type: "kms", keyId: "alias/repogate-app" });
    const envOnly = await loadConfig({
      env: {
        REPOGATE_PUBLIC_URL: "https://a.example.com",
        REPOGATE_OIDC_ISSUER: "https://sso.example.com",
        REPOGATE_OIDC_SCOPES: "mcp:tools",
        REPOGATE_GITHUB_APP_ID: "7",
        REPOGATE_KMS_KEY_ID: "alias/repogate-app",
        REPOGATE_POLICY_FILE: "p.yaml",
      },
    });
    expect(envOnly.github.signer).toEqual({ type: "kms", keyId: "alias/repogate-app" });
  });

  it("refuses the CloudWatch audit sink without a log group when the config is read, not later", () => {
    expect(() => parseConfig({ ...minimal, audit: { sink: "cloudwatch" } })).toThrow(/audit\.logGroup/);
    expect(
      parseConfig({ ...minimal, audit: { sink: "cloudwatch", logGroup: "/repogate/audit" } }).audit,
    ).toMatchObject({
      sink: "cloudwatch",
      logGroup: "/repogate/audit",
    });
  });

  it("repogate serve prints an invalid config as one clear message and exits 1, without a stack dump", async () => {
    const file = path.join(dir, "broken.yaml");
    await writeFile(file, "publicUrl: ftp://x\n");
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((done) => {
      const child = execFile(process.execPath, [path.resolve("bin/repogate.js"), "serve", "--config", file], {
        env: { PATH: process.env.PATH ?? "" },
      });
      let err = "";
      child.stderr?.on("data", (chunk: Buffer) => {
        err += chunk.toString();
      });
      child.on("close", (exitCode) => done({ code: exitCode, stderr: err }));
    });
    expect(code).toBe(1);
    // On Node < 22 one line about the Node version comes first (see bin/repogate.js); nothing else may.
    const message = stderr.replace(/^repogate: Node \S+ is past end of life.*\n/, "");
    expect(message).toMatch(/^repogate: invalid configuration:\n {2}publicUrl: Invalid URL\n/);
    expect(stderr).toMatch(/github: Invalid input/);
    expect(stderr).not.toMatch(/\bat parseConfig\b|node:internal|Node\.js v/);
  });

  it("says which file it could not read", async () => {
    await expect(loadConfig({ file: path.join(dir, "missing.yaml") })).rejects.toThrow(
      /cannot read config file .*missing\.yaml: ENOENT/,
    );
  });
});
