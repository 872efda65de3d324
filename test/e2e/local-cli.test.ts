/**
 * The checks of issues 3 and 5 "as a new user would": `repogate local` as a real process, `repogate
 * token` as a real process, plain HTTP, the MCP SDK client and the real AWS SDK against it, then
 * Ctrl-C: the process exits 0, leaves no child process behind and frees its ports.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { generateKeyPairSync, verify } from "node:crypto";
import { readdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { CreateKeyCommand, GetPublicKeyCommand, KMSClient, SignCommand } from "@aws-sdk/client-kms";
import { extractWWWAuthenticateParams } from "@modelcontextprotocol/sdk/client/auth.js";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { OAuthProtectedResourceMetadataSchema } from "@modelcontextprotocol/sdk/shared/auth.js";
import { decodeJwt, decodeProtectedHeader, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, portIsFree } from "../support/ports.ts";
import { callTool, connectWithToken, makeDataDir, TOOL_NAMES, USERS } from "./stack.ts";

const execFileAsync = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = path.join(ROOT, "bin", "repogate.js");

let dataDir: string;
let ports: { broker: number; github: number; idp: number; aws: number };
let child: ChildProcess;
let stdout = "";
let stderr = "";
let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
let local: {
  broker: { mcpUrl: string };
  idp: { issuer: string };
  aws: { url: string; region: string };
  github: { url: string };
};
let mcpUrl: string;
let aliceToken: string;
let alice: Client | undefined;

/** Pids of live processes whose command line mentions `needle` (reads /proc, Linux). */
async function processesMentioning(needle: string): Promise<Array<{ pid: number; cmdline: string }>> {
  const found: Array<{ pid: number; cmdline: string }> = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let cmdline: string;
    try {
      cmdline = (await readFile(`/proc/${entry}/cmdline`, "utf8")).replaceAll("\0", " ").trim();
    } catch {
      continue; // The process ended while we looked.
    }
    if (cmdline.includes(needle)) found.push({ pid: Number(entry), cmdline });
  }
  return found;
}

beforeAll(async () => {
  dataDir = await makeDataDir("repogate-e2e-cli-");
  ports = {
    broker: await freePort(),
    github: await freePort(),
    idp: await freePort(),
    aws: await freePort(),
  };
  child = spawn(
    process.execPath,
    [
      BIN,
      "local",
      "--data-dir",
      dataDir,
      "--broker-port",
      String(ports.broker),
      "--github-port",
      String(ports.github),
      "--idp-port",
      String(ports.idp),
      "--aws-port",
      String(ports.aws),
      "--log-level",
      "info",
    ],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`repogate local did not start in 30 s:\n${stdout}\n${stderr}`)),
      30_000,
    );
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
      if (stdout.includes("Press Ctrl-C")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`repogate local exited with ${code}:\n${stdout}\n${stderr}`));
    });
  });
  local = JSON.parse(await readFile(path.join(dataDir, "local.json"), "utf8"));
  mcpUrl = local.broker.mcpUrl;
}, 40_000);

afterAll(async () => {
  await alice?.close();
  if (child && child.exitCode === null && child.signalCode === null) {
    child.kill("SIGKILL");
    await exited;
  }
  await rm(dataDir, { recursive: true, force: true });
});

describe("repogate local, as a new user would use it", () => {
  it("prints the MCP URL, how to get a token and the Claude Desktop configurations", () => {
    expect(mcpUrl).toBe(`http://127.0.0.1:${ports.broker}/mcp`);
    expect(stdout).toContain(mcpUrl);
    expect(stdout).toContain("repogate token --user");
    expect(stdout).toContain('"mcp-remote"');
    expect(stdout).toContain("Authorization:");
  });

  it("answers an unauthenticated initialize with 401 whose resource_metadata resolves to valid PRM", async () => {
    const response = await fetch(mcpUrl, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 0,
        method: "initialize",
        params: {
          protocolVersion: "2025-06-18",
          capabilities: {},
          clientInfo: { name: "curl-like", version: "0" },
        },
      }),
    });
    expect(response.status).toBe(401);
    const { resourceMetadataUrl, scope } = extractWWWAuthenticateParams(response);
    expect(scope).toContain("mcp:tools");
    expect(resourceMetadataUrl?.href).toBe(
      `http://127.0.0.1:${ports.broker}/.well-known/oauth-protected-resource/mcp`,
    );
    const prmResponse = await fetch(resourceMetadataUrl ?? "");
    expect(prmResponse.status).toBe(200);
    expect(prmResponse.headers.get("content-type")).toContain("application/json");
    const prm = OAuthProtectedResourceMetadataSchema.parse(await prmResponse.json());
    expect(prm.resource).toBe(mcpUrl);
    expect(prm.authorization_servers).toEqual([local.idp.issuer]);
    expect(prm.bearer_methods_supported).toEqual(["header"]);
    // The root well-known URL (clients fall back to it) serves the same document.
    const root = await fetch(`http://127.0.0.1:${ports.broker}/.well-known/oauth-protected-resource`);
    expect(root.status).toBe(200);
    expect(OAuthProtectedResourceMetadataSchema.parse(await root.json())).toEqual(prm);
  });

  it("is alive and ready (policy loaded, IdP and GitHub reachable)", async () => {
    const base = `http://127.0.0.1:${ports.broker}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status, await ready.clone().text()).toBe(200);
  });

  it("serves the IdP's discovery document and JWKS at its issuer", async () => {
    const issuer = local.idp.issuer;
    expect(issuer).toBe(`http://127.0.0.1:${ports.idp}`);
    const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as {
      issuer: string;
      jwks_uri: string;
      authorization_endpoint: string;
      token_endpoint: string;
      registration_endpoint?: string;
      code_challenge_methods_supported: string[];
    };
    expect(discovery.issuer).toBe(issuer);
    expect(discovery.authorization_endpoint.startsWith(issuer)).toBe(true);
    expect(discovery.token_endpoint.startsWith(issuer)).toBe(true);
    expect(discovery.registration_endpoint?.startsWith(issuer)).toBe(true);
    expect(discovery.code_challenge_methods_supported).toContain("S256");
    expect(discovery.jwks_uri.startsWith(issuer)).toBe(true);
    const jwks = (await (await fetch(discovery.jwks_uri)).json()) as { keys: Array<Record<string, unknown>> };
    expect(jwks.keys.length).toBeGreaterThan(0);
    for (const key of jwks.keys) {
      expect(key).toMatchObject({ kty: "RSA", use: "sig" });
      expect(typeof key.kid).toBe("string");
      expect(key).not.toHaveProperty("d");
    }
  });

  it("`repogate token` prints a JWT for the broker's /mcp with alice's eng group", async () => {
    const { stdout: out } = await execFileAsync(
      process.execPath,
      [BIN, "token", "--user", USERS.alice, "--data-dir", dataDir],
      { cwd: ROOT, timeout: 20_000 },
    );
    aliceToken = out.trim();
    expect(aliceToken).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const claims = decodeJwt(aliceToken);
    expect(claims.aud).toBe(mcpUrl);
    expect(claims.iss).toBe(local.idp.issuer);
    expect(claims.email).toBe(USERS.alice);
    expect(claims.groups).toContain("eng");
    expect(String(claims.scope).split(" ")).toContain("mcp:tools");
  });

  it("with that token: nine tools, the README, and denials that name the reason", async () => {
    alice = await connectWithToken(mcpUrl, aliceToken);
    const { tools } = await alice.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(TOOL_NAMES);

    const readme = await callTool(alice, "get_file_contents", {
      owner: "mycompany",
      repo: "web",
      path: "README.md",
    });
    expect(readme.isError).toBe(false);
    expect(readme.text).toContain("The customer-facing web application of MyCompany");

    const secret = await callTool(alice, "get_file_contents", {
      owner: "othercorp",
      repo: "secret",
      path: "README.md",
    });
    expect(secret.isError).toBe(true);
    expect(secret.text).toContain("not in the whitelist");

    const branch = await callTool(alice, "get_file_contents", {
      owner: "facebook",
      repo: "react",
      path: "README.md",
      ref: "experimental",
    });
    expect(branch.isError).toBe(true);
    expect(branch.text).toContain('rule #3 "facebook/react"');
    expect(branch.text).toMatch(/main, stable/);
    expect(branch.text).toContain("experimental");
  });

  it("refuses a token for another audience and one signed by another key with 401", async () => {
    const jwk = JSON.parse(await readFile(path.join(dataDir, "idp", "jwks.json"), "utf8")).keys[0];
    const { importJWK } = await import("jose");
    const idpKey = await importJWK(jwk, "RS256");
    const claims = decodeJwt(aliceToken);
    const kid = decodeProtectedHeader(aliceToken).kid ?? "";
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    const now = Math.floor(Date.now() / 1000);
    const sign = (key: Parameters<SignJWT["sign"]>[0], changes: Record<string, unknown>) =>
      new SignJWT({ ...claims, iat: now, exp: now + 600, ...changes })
        .setProtectedHeader({ alg: "RS256", kid, typ: "at+jwt" })
        .sign(key);
    const variants = {
      "wrong audience (signed by the IdP's own key)": await sign(idpKey, { aud: "http://127.0.0.1:1/mcp" }),
      "signed by another key under the IdP's kid": await sign(other, {}),
    };
    for (const [name, token] of Object.entries(variants)) {
      const response = await fetch(mcpUrl, {
        method: "POST",
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
        },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
      });
      expect(response.status, name).toBe(401);
      const challenge = extractWWWAuthenticateParams(response);
      expect(challenge.error, name).toBe("invalid_token");
      expect(challenge.resourceMetadataUrl?.href, name).toContain(
        "/.well-known/oauth-protected-resource/mcp",
      );
    }
  });

  it("the AWS emulator answers the real AWS SDK KMS client (CreateKey, Sign, GetPublicKey)", async () => {
    const kms = new KMSClient({
      endpoint: local.aws.url,
      region: local.aws.region,
      credentials: { accessKeyId: "AKIDLOCAL", secretAccessKey: "local-secret" },
    });
    try {
      const created = await kms.send(
        new CreateKeyCommand({ KeySpec: "RSA_2048", KeyUsage: "SIGN_VERIFY", Description: "e2e" }),
      );
      const keyId = created.KeyMetadata?.KeyId ?? "";
      expect(keyId).toMatch(/.+/);
      expect(created.KeyMetadata?.KeySpec).toBe("RSA_2048");
      const message = Buffer.from("header.payload");
      const signed = await kms.send(
        new SignCommand({
          KeyId: keyId,
          Message: message,
          MessageType: "RAW",
          SigningAlgorithm: "RSASSA_PKCS1_V1_5_SHA_256",
        }),
      );
      const publicKey = await kms.send(new GetPublicKeyCommand({ KeyId: keyId }));
      const ok = verify(
        "sha256",
        message,
        { key: Buffer.from(publicKey.PublicKey ?? new Uint8Array()), format: "der", type: "spki" },
        Buffer.from(signed.Signature ?? new Uint8Array()),
      );
      expect(ok).toBe(true);
    } finally {
      kms.destroy();
    }
  });

  it("stops on Ctrl-C (SIGINT): exit 0 within seconds, no process left, ports free", async () => {
    await alice?.close();
    alice = undefined;
    // The scan sees the running stack (the CLI's own --data-dir, and any git process on its repositories).
    const running = await processesMentioning(dataDir);
    expect(running.map((p) => p.pid)).toContain(child.pid);
    expect(running.some((p) => p.cmdline.includes("cat-file"))).toBe(true);
    // Installation tokens were minted in this run (the README read above): the log check below has something to miss.
    const minted = (await (await fetch(`${local.github.url}/_emulator/tokens`)).json()) as {
      mints: unknown[];
    };
    expect(minted.mints.length).toBeGreaterThan(0);
    child.kill("SIGINT");
    const result = await Promise.race([
      exited,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`no exit within 10 s:\n${stderr}`)), 10_000),
      ),
    ]);
    expect(result).toEqual({ code: 0, signal: null });
    expect(stdout).toContain("SIGINT: stopping");
    expect(stdout).not.toMatch(/error while stopping/);

    // Broker logs (info) go to stderr, apart from the summary on stdout, and never hold a token: not the
    // caller's, not an installation token (classic or stateless), no JWT at all (App JWTs, IdP tokens), no key.
    expect(stderr).toContain("repogate listening");
    expect(stderr).toContain('"sub":"user-alice"');
    expect(stdout).not.toContain('"level":');
    for (const output of [stderr, stdout]) {
      expect(output).not.toContain(aliceToken);
      expect(output).not.toContain(aliceToken.split(".")[2]);
      expect(output).not.toMatch(/ghs_[A-Za-z0-9_]{16,}/);
      expect(output).not.toMatch(/eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}/);
      expect(output).not.toMatch(/-----BEGIN [A-Z ]*PRIVATE KEY-----/);
    }

    // Neither the CLI nor any child it started (git cat-file, …) is still running.
    const deadline = Date.now() + 3_000;
    let left = await processesMentioning(dataDir);
    while (left.length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      left = await processesMentioning(dataDir);
    }
    expect(left).toEqual([]);
    for (const [name, port] of Object.entries(ports)) expect(await portIsFree(port), name).toBe(true);
  }, 20_000);
});
