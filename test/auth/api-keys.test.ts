import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ApiKeyStoreError,
  createFileApiKeyStore,
  createInlineApiKeyStore,
  parseApiKeyRecords,
} from "../../src/auth/api-key-store.ts";
import { apiKeyId, createApiKeyVerifier, generateApiKey, hashApiKey } from "../../src/auth/api-keys.ts";
import { AuthError } from "../../src/auth/errors.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "repogate-apikeys-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function record(id: string, hash: string, sub = "svc:ci-bot", groups = ["eng"]) {
  return { id, hash, principal: { sub, groups, description: "CI" } };
}

describe("API key format", () => {
  it("generates rg_<id>_<secret> keys whose stored form is sha256:<hex>", () => {
    const a = generateApiKey();
    const b = generateApiKey();
    expect(a.key).toMatch(/^rg_[a-z2-7]{12}_[A-Za-z0-9_-]{43}$/);
    expect(apiKeyId(a.key)).toBe(a.id);
    expect(a.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(a.hash).toBe(hashApiKey(a.key));
    expect(a.hash).not.toContain(a.key.slice(16));
    expect(a.key).not.toBe(b.key);
    expect(apiKeyId("rg_short_x")).toBeUndefined();
    expect(apiKeyId("eyJhbGciOi.x.y")).toBeUndefined();
  });
});

describe("createApiKeyVerifier", () => {
  it("accepts the right key, refuses a wrong secret, an unknown id and a malformed key", async () => {
    const good = generateApiKey();
    const other = generateApiKey();
    const verifier = createApiKeyVerifier({
      store: createInlineApiKeyStore(JSON.stringify([record(good.id, good.hash)])),
      defaultScopes: ["mcp:tools"],
    });
    await expect(verifier.verify(good.key)).resolves.toEqual({
      sub: "svc:ci-bot",
      groups: ["eng"],
      via: "api-key",
      scopes: ["mcp:tools"],
    });
    const wrongSecret = `rg_${good.id}_${other.key.split("_").slice(2).join("_")}`;
    for (const bad of [wrongSecret, other.key, "rg_nope", `${good.key}x`]) {
      const error = await verifier.verify(bad).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AuthError);
      expect((error as AuthError).code).toBe("API_KEY_INVALID");
      expect((error as AuthError).message).not.toContain(bad);
      expect((error as AuthError).message).not.toContain(good.hash);
    }
  });

  it("reloads the file store after the TTL: new keys start working, removed keys stop", async () => {
    const first = generateApiKey();
    const second = generateApiKey();
    const file = path.join(dir, "keys.yaml");
    await writeFile(
      file,
      `apiKeys:\n  - id: ${first.id}\n    hash: ${first.hash}\n    principal: { sub: "svc:one" }\n`,
    );
    const verifier = createApiKeyVerifier({ store: createFileApiKeyStore(file), refreshTtlMs: 50 });
    await expect(verifier.verify(first.key)).resolves.toMatchObject({
      sub: "svc:one",
      groups: [],
      scopes: [],
    });
    await expect(verifier.verify(second.key)).rejects.toMatchObject({ code: "API_KEY_INVALID" });

    await writeFile(
      file,
      JSON.stringify({ apiKeys: [record(second.id, second.hash, "svc:two", ["security"])] }),
    );
    await new Promise((resolve) => setTimeout(resolve, 80));
    await expect(verifier.verify(second.key)).resolves.toMatchObject({
      sub: "svc:two",
      groups: ["security"],
    });
    await expect(verifier.verify(first.key)).rejects.toMatchObject({ code: "API_KEY_INVALID" });
  });

  it("keeps the last good records when a reload fails, and is unavailable when nothing ever loaded", async () => {
    const key = generateApiKey();
    const file = path.join(dir, "flaky.json");
    await writeFile(file, JSON.stringify([record(key.id, key.hash)]));
    const refreshErrors: unknown[] = [];
    const verifier = createApiKeyVerifier({
      store: createFileApiKeyStore(file),
      refreshTtlMs: 10,
      onRefreshError: (e) => refreshErrors.push(e),
    });
    await expect(verifier.verify(key.key)).resolves.toMatchObject({ sub: "svc:ci-bot" });
    await writeFile(file, "{ not: [valid");
    await new Promise((resolve) => setTimeout(resolve, 20));
    await expect(verifier.verify(key.key)).resolves.toMatchObject({ sub: "svc:ci-bot" });
    expect(refreshErrors).toHaveLength(1);

    const never = createApiKeyVerifier({ store: createFileApiKeyStore(path.join(dir, "missing.json")) });
    await expect(never.verify(key.key)).rejects.toMatchObject({ code: "API_KEYS_UNAVAILABLE" });
  });
});

describe("API key store outages", () => {
  it("does not call a failing store on every request before the first load, and recovers after the pause", async () => {
    const key = generateApiKey();
    let loads = 0;
    let failing = true;
    const verifier = createApiKeyVerifier({
      store: {
        loadApiKeys: async () => {
          loads++;
          if (failing) throw new Error("secrets manager unreachable");
          return [{ id: key.id, hash: key.hash, principal: { sub: "svc:late", groups: [] } }];
        },
      },
      retryAfterFailureMs: 100,
    });
    for (let i = 0; i < 20; i++) {
      await expect(verifier.verify(key.key)).rejects.toMatchObject({ code: "API_KEYS_UNAVAILABLE" });
    }
    expect(loads).toBe(1);
    failing = false;
    await new Promise((resolve) => setTimeout(resolve, 150));
    await expect(verifier.verify(key.key)).resolves.toMatchObject({ sub: "svc:late" });
    expect(loads).toBe(2);
  });
});

describe("API key records", () => {
  it("rejects invalid records naming the field but not the hash", () => {
    const key = generateApiKey();
    expect(() =>
      parseApiKeyRecords(JSON.stringify([{ id: key.id, hash: "md5:abc", principal: { sub: "x" } }]), "f"),
    ).toThrow(/0\.hash/);
    const duplicate = JSON.stringify([record(key.id, key.hash), record(key.id, key.hash)]);
    const error = (() => {
      try {
        parseApiKeyRecords(duplicate, "keys.json");
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error).toBeInstanceOf(ApiKeyStoreError);
    expect(error?.message).toMatch(/duplicate API key id/);
    expect(error?.message).not.toContain(key.hash);
  });
});
