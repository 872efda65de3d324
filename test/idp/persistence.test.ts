import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { decodeProtectedHeader } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import { devLogin } from "../../wrangler-free-local/idp/dev-login-client.ts";
import type { RunningDevIdp } from "../../wrangler-free-local/idp/index.ts";
import {
  makeDataDir,
  postRefreshGrant,
  RESOURCE,
  removeDataDir,
  startTestIdp,
  verifyAccessToken,
} from "./fixture.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function dataDir(): Promise<string> {
  const dir = await makeDataDir();
  cleanups.push(() => removeDataDir(dir));
  return dir;
}

async function start(dir: string): Promise<RunningDevIdp> {
  const idp = await startTestIdp(dir);
  cleanups.push(() => idp.close());
  return idp;
}

async function kidOf(idp: RunningDevIdp): Promise<string> {
  const jwks = (await (await fetch(`${idp.issuer}/jwks`)).json()) as { keys: { kid: string }[] };
  expect(jwks.keys).toHaveLength(1);
  return jwks.keys[0]?.kid ?? "";
}

describe("dev IdP keys and durable state", () => {
  it("keys are generated on first start into <dataDir>/idp with owner-only permissions", async () => {
    const dir = await dataDir();
    await start(dir);
    for (const file of ["jwks.json", "cookie-keys.json"]) {
      const info = await stat(path.join(dir, "idp", file));
      expect(info.mode & 0o777, file).toBe(0o600);
    }
  });

  it("keys are reused after a restart, so tokens issued before it still verify", async () => {
    const dir = await dataDir();
    const first = await startTestIdp(dir);
    const kid = await kidOf(first);
    const tokens = await devLogin({ issuer: first.issuer, user: "alice@mycompany.example" });
    expect(decodeProtectedHeader(tokens.access_token).kid).toBe(kid);
    const port = first.port;
    await first.close();

    // Same port, hence same issuer: a broker holding the old token must still accept it.
    const second = await startTestIdp(dir, { port });
    cleanups.push(() => second.close());
    expect(await kidOf(second)).toBe(kid);
    expect((await verifyAccessToken(second.issuer, tokens.access_token)).sub).toBe("user-alice");
  });

  it("keys differ between data directories", async () => {
    const a = await start(await dataDir());
    const b = await start(await dataDir());
    expect(await kidOf(a)).not.toBe(await kidOf(b));
    const tokenFromA = (await devLogin({ issuer: a.issuer, user: "alice@mycompany.example" })).access_token;
    // b's JWKS has no key for a's token, whatever issuer is expected.
    await expect(verifyAccessToken(b.issuer, tokenFromA)).rejects.toThrow();
  });

  it("a corrupt state file stops the start, naming the file", async () => {
    const dir = await dataDir();
    await mkdir(path.join(dir, "idp"), { recursive: true });
    await writeFile(path.join(dir, "idp", "state.json"), "{not json");
    await expect(startTestIdp(dir)).rejects.toMatchObject({
      code: "IDP_STATE_FILE_INVALID",
      message: expect.stringContaining(path.join(dir, "idp", "state.json")),
    });
  });

  it("refresh tokens stay usable across a restart; plain logins leave no state", async () => {
    const dir = await dataDir();
    const first = await startTestIdp(dir);
    await devLogin({ issuer: first.issuer, user: "pat@partner.example" });
    const tokens = await devLogin({
      issuer: first.issuer,
      user: "alice@mycompany.example",
      scope: "openid mcp:tools offline_access",
    });
    const { port } = first;
    await first.close();

    const state = JSON.parse(await readFile(path.join(dir, "idp", "state.json"), "utf8")) as object;
    const kinds = Object.keys(state).map((k) => k.split(":")[0]);
    expect(kinds.sort()).toEqual(["Grant", "RefreshToken"]);
    expect(JSON.stringify(state)).not.toContain("user-pat");

    const second = await startTestIdp(dir, { port });
    cleanups.push(() => second.close());
    const res = await postRefreshGrant(second.issuer, tokens.refresh_token ?? "");
    expect(res.status).toBe(200);
    const refreshed = (await res.json()) as { access_token: string };
    expect(await verifyAccessToken(second.issuer, refreshed.access_token)).toMatchObject({
      aud: RESOURCE,
      sub: "user-alice",
    });
  });
});
