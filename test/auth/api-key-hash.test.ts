/**
 * The stored API key form, `sha256:<hex of SHA-256(UTF-8 key)>`, checked against node:crypto and a hash computed
 * outside Node (`printf %s KEY | sha256sum`), not only against the project's own hashApiKey: an admin who makes
 * the record with another tool must get a key the verifier accepts.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createInlineApiKeyStore } from "../../src/auth/api-key-store.ts";
import { createApiKeyVerifier, generateApiKey, hashApiKey } from "../../src/auth/api-keys.ts";

const KEY = "rg_abcdefghijkl_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefg";
/** `printf '%s' "$KEY" | sha256sum`, computed once with coreutils. */
const KEY_SHA256 = "947b83929788326e19fafcc98ab5df56a740f2cc5ed30d689af8ae087e68dc94";

const sha256 = (text: string) => createHash("sha256").update(Buffer.from(text, "utf8")).digest("hex");

function verifierFor(hash: string) {
  return createApiKeyVerifier({
    store: createInlineApiKeyStore(
      JSON.stringify([{ id: "abcdefghijkl", hash, principal: { sub: "svc:ci-bot", groups: [] } }]),
    ),
    defaultScopes: ["mcp:tools"],
  });
}

describe("the API key hash", () => {
  it("is sha256: + SHA-256 of the whole key, as node:crypto and sha256sum compute it", () => {
    expect(sha256(KEY)).toBe(KEY_SHA256);
    expect(hashApiKey(KEY)).toBe(`sha256:${KEY_SHA256}`);
    for (let i = 0; i < 5; i++) {
      const generated = generateApiKey();
      expect(generated.hash).toBe(`sha256:${sha256(generated.key)}`);
    }
  });

  it("a record made with another tool's SHA-256 lets the key in; the hash of anything else does not", async () => {
    await expect(verifierFor(`sha256:${KEY_SHA256}`).verify(KEY)).resolves.toMatchObject({
      sub: "svc:ci-bot",
    });
    // `echo KEY | sha256sum` hashes a trailing newline: a different record, which must not match.
    const withNewline = verifierFor(`sha256:${sha256(`${KEY}\n`)}`);
    await expect(withNewline.verify(KEY)).rejects.toMatchObject({ code: "API_KEY_INVALID" });
  });
});
