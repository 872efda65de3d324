/**
 * The audit trail of the wired broker, as a security team reads it: every mint the GitHub emulator saw has
 * exactly one token.grant and one token.revoke, denials and failed sign-ins are recorded, the hash chain
 * verifies with `repogate audit verify`, and no token or JWT is in the file.
 */
import { execFile } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callTool, connectWithToken, type E2eStack, startE2eStack, waitForRevocations } from "./stack.ts";

const run = promisify(execFile);
const repogate = path.resolve("bin/repogate.js");

interface AuditLine {
  type: string;
  principal?: { email?: string; sub: string };
  resource?: { repo?: string; ref?: string };
  decision?: { code?: string; rule?: string | null };
  token?: { fingerprint: string; repositories: string[]; permissions: Record<string, string> };
  error?: { code?: string };
  hash: string;
}

describe("audit trail of tool calls through the running broker", () => {
  let stack: E2eStack;
  let client: Client;
  let accessToken: string;
  let auditDir: string;
  let lines: AuditLine[];
  let raw: string;

  beforeAll(async () => {
    stack = await startE2eStack();
    auditDir = path.join(stack.dataDir, "audit");
    accessToken = await stack.token("alice");
    client = await connectWithToken(stack.mcpUrl, accessToken);
    const ok = await callTool(client, "get_file_contents", {
      owner: "mycompany",
      repo: "web",
      path: "README.md",
    });
    expect(ok.isError).toBe(false);
    const outside = await callTool(client, "get_file_contents", {
      owner: "othercorp",
      repo: "secret",
      path: "README.md",
    });
    expect(outside.isError).toBe(true);
    const branch = await callTool(client, "list_commits", {
      owner: "facebook",
      repo: "react",
      ref: "experimental",
    });
    expect(branch.isError).toBe(true);
    const failed = await fetch(stack.mcpUrl, {
      method: "POST",
      headers: { authorization: "Bearer not-a-jwt", "content-type": "application/json" },
      body: "{}",
    });
    expect(failed.status).toBe(401);
    await client.close();

    const log = await waitForRevocations(stack.githubUrl);
    expect(log.revocations.length).toBe(log.mints.length);
    // Revocation events are written right after GitHub answers the DELETE; give the group commit a moment.
    const deadline = Date.now() + 5_000;
    for (;;) {
      const files = (await readdir(auditDir)).filter((f) => f.endsWith(".jsonl")).sort();
      raw = (await Promise.all(files.map((f) => readFile(path.join(auditDir, f), "utf8")))).join("");
      lines = raw
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as AuditLine);
      const revokes = lines.filter((l) => l.type === "token.revoke").length;
      if (revokes >= log.mints.length || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }, 60_000);

  afterAll(async () => {
    await stack?.close();
  });

  it("has exactly one grant and one revoke for every token GitHub minted", async () => {
    const { mints } = await waitForRevocations(stack.githubUrl);
    expect(mints.length).toBeGreaterThan(0);
    for (const mint of mints) {
      // The emulator logs a 12-hex fingerprint, the broker a 16-hex one of the same SHA-256.
      const mine = (type: string) =>
        lines.filter((l) => l.type === type && l.token?.fingerprint.startsWith(mint.tokenFingerprint));
      expect(mine("token.grant"), `grant for ${mint.tokenFingerprint}`).toHaveLength(1);
      expect(mine("token.revoke"), `revoke for ${mint.tokenFingerprint}`).toHaveLength(1);
    }
    const grants = lines.filter((l) => l.type === "token.grant");
    expect(grants).toHaveLength(mints.length);
    const readGrant = grants.find((g) => g.token?.repositories.includes("mycompany/web"));
    expect(readGrant?.principal?.email).toBe("alice@mycompany.example");
    expect(readGrant?.token?.permissions).toEqual({ contents: "read", metadata: "read" });
  });

  it("records each denial with the principal, the repository and the deciding code", () => {
    const denials = lines.filter((l) => l.type === "access.deny");
    expect(denials.map((d) => [d.resource?.repo, d.decision?.code])).toEqual(
      expect.arrayContaining([
        ["othercorp/secret", "NOT_IN_WHITELIST"],
        ["facebook/react", "BRANCH_NOT_ALLOWED"],
      ]),
    );
    for (const denial of denials) expect(denial.principal?.email).toBe("alice@mycompany.example");
    expect(denials.find((d) => d.resource?.repo === "facebook/react")?.decision?.rule).toBe("facebook/react");
  });

  it("records the failed sign-in and the policy load", () => {
    expect(lines.some((l) => l.type === "auth.fail" && l.error?.code === "TOKEN_MALFORMED")).toBe(true);
    expect(lines[0]?.type).toBe("policy.load");
  });

  it("never writes a token, a JWT or the caller's access token", () => {
    expect(raw).not.toMatch(/ghs_[A-Za-z0-9_.-]+/);
    expect(raw).not.toMatch(/eyJ[A-Za-z0-9_-]+\.eyJ/);
    expect(raw).not.toContain(accessToken.split(".")[2]);
  });

  it("verifies with `repogate audit verify` and answers `audit query --user`", async () => {
    const verified = await run(process.execPath, [repogate, "audit", "verify", "--dir", auditDir]);
    expect(verified.stdout).toMatch(new RegExp(`^OK: .*${lines.length} events, chain intact`, "m"));
    const queried = await run(process.execPath, [
      repogate,
      "audit",
      "query",
      "--dir",
      auditDir,
      "--user",
      "alice@mycompany.example",
      "--json",
    ]);
    const events = queried.stdout
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AuditLine);
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.principal?.email === "alice@mycompany.example")).toBe(true);
  });
});
