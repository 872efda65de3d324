import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { readLocalStackUrls } from "../../src/cli/commands/token.ts";
import type { RunningDevIdp } from "../../wrangler-free-local/idp/index.ts";
import { makeDataDir, RESOURCE, removeDataDir, useTestIdp, verifyAccessToken } from "./fixture.ts";

const run = promisify(execFile);
const CLI = fileURLToPath(new URL("../../bin/repogate.js", import.meta.url));
/** A second broker resource, named only in local.json, proves the command reads it. */
const LOCAL_RESOURCE = "http://127.0.0.1:9700/mcp";

let dataDir: string;
let idp: RunningDevIdp;

useTestIdp(
  async (started, dir) => {
    idp = started;
    dataDir = dir;
    await writeFile(
      path.join(dataDir, "local.json"),
      JSON.stringify({ idp: { issuer: idp.issuer, url: idp.url }, broker: { resourceUrl: LOCAL_RESOURCE } }),
    );
  },
  { resourceUrls: [RESOURCE, LOCAL_RESOURCE] },
);

async function repogate(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

describe("repogate token", () => {
  it("prints an access token for the user, for the issuer and resource named in local.json", async () => {
    const { code, stdout } = await repogate(
      "token",
      "--user",
      "alice@mycompany.example",
      "--data-dir",
      dataDir,
    );
    expect(code).toBe(0);
    const claims = await verifyAccessToken(idp.issuer, stdout.trim(), LOCAL_RESOURCE);
    expect(claims).toMatchObject({ aud: LOCAL_RESOURCE, email: "alice@mycompany.example", groups: ["eng"] });
  });

  it("prints the whole token response with --json, and --resource overrides local.json", async () => {
    const { code, stdout } = await repogate(
      "token",
      "--user",
      "sam@mycompany.example",
      "--json",
      "--resource",
      RESOURCE,
      "--data-dir",
      dataDir,
    );
    expect(code).toBe(0);
    const response = JSON.parse(stdout);
    expect(response).toMatchObject({ token_type: "Bearer", expires_in: 3600, scope: "mcp:tools" });
    expect(typeof response.id_token).toBe("string");
    expect((await verifyAccessToken(idp.issuer, response.access_token)).aud).toBe(RESOURCE);
  });

  it("fails with the list of known users for an unknown user", async () => {
    const { code, stdout, stderr } = await repogate(
      "token",
      "--user",
      "eve@mycompany.example",
      "--data-dir",
      dataDir,
    );
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toContain('no dev user "eve@mycompany.example"');
    expect(stderr).toContain("pat@partner.example");
  });
});

describe("readLocalStackUrls", () => {
  it("tolerates a missing file and missing keys", async () => {
    const dir = await makeDataDir();
    try {
      expect(await readLocalStackUrls(dir)).toEqual({});
      await writeFile(path.join(dir, "local.json"), JSON.stringify({ idp: {}, github: { url: "x" } }));
      expect(await readLocalStackUrls(dir)).toEqual({});
      await writeFile(path.join(dir, "local.json"), JSON.stringify({ idp: { url: "http://127.0.0.1:1" } }));
      expect(await readLocalStackUrls(dir)).toEqual({ issuer: "http://127.0.0.1:1" });
    } finally {
      await removeDataDir(dir);
    }
  });
});
