import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { ApiKeyRecord, ApiKeyStore } from "./api-key-store.ts";
import { AuthError } from "./errors.ts";
import type { Principal } from "./principal.ts";

/**
 * Service-account API key format: `rg_<id>_<secret>`.
 * - `rg_` marks a repogate key (and tells it apart from a JWT, which starts with `eyJ`).
 * - `<id>`: 12 lowercase base32 characters, public, used to find the record (safe to log).
 * - `<secret>`: 32 random bytes, base64url (43 characters).
 * Only `sha256:<hex of SHA-256(whole key)>` is stored; the key is shown once at generation.
 */
const API_KEY_PATTERN = /^rg_([a-z0-9]{6,32})_([A-Za-z0-9_-]{32,128})$/;
const ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";

/** True when a credential is shaped like a repogate API key (so it is not sent to the JWT verifier). */
export function looksLikeApiKey(credential: string): boolean {
  return credential.startsWith("rg_");
}

/** The public id of a well-formed key, or undefined. */
export function apiKeyId(key: string): string | undefined {
  return API_KEY_PATTERN.exec(key)?.[1];
}

/** The stored form of a key: `sha256:<hex>`. */
export function hashApiKey(key: string): string {
  return `sha256:${createHash("sha256").update(key, "utf8").digest("hex")}`;
}

/** A new random key with its stored hash; the caller shows `key` once and stores only `hash`. */
export function generateApiKey(): { id: string; key: string; hash: string } {
  const idBytes = randomBytes(12);
  const id = Array.from(idBytes, (b) => ID_ALPHABET[b % 32]).join("");
  const key = `rg_${id}_${randomBytes(32).toString("base64url")}`;
  return { id, key, hash: hashApiKey(key) };
}

/** How API keys are checked. */
export interface ApiKeyVerifierOptions {
  store: ApiKeyStore;
  /** Records are reloaded from the store when older than this. Default 60 s. */
  refreshTtlMs?: number;
  /** While nothing has loaded yet, a failed load is not retried for this long (requests get 503). Default 5 s. */
  retryAfterFailureMs?: number;
  /** Scopes given to a key whose record lists none (normally the endpoint's required scopes). */
  defaultScopes?: string[];
  /** Told when a reload fails and the previous records stay in use; gets no key material. */
  onRefreshError?: (error: unknown) => void;
}

/** Checks presented API keys against the stored hashes. */
export interface ApiKeyVerifier {
  /** The principal of a valid key; AuthError API_KEY_INVALID otherwise (the message never holds the key). */
  verify(key: string): Promise<Principal>;
  /** Reloads the records now. */
  refresh(): Promise<void>;
}

/** Creates an API key verifier over a store, reloading its records at most once per TTL. */
export function createApiKeyVerifier(options: ApiKeyVerifierOptions): ApiKeyVerifier {
  const ttl = options.refreshTtlMs ?? 60_000;
  const retryAfterFailureMs = options.retryAfterFailureMs ?? 5_000;
  let records: Map<string, ApiKeyRecord> | undefined;
  let loadedAt = 0;
  let pending: Promise<void> | undefined;
  let lastFailure: { at: number; error: AuthError } | undefined;

  const reload = () => {
    pending ??= options.store
      .loadApiKeys()
      .then((list) => {
        records = new Map(list.map((record) => [record.id, record]));
        loadedAt = Date.now();
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };

  const current = async (): Promise<Map<string, ApiKeyRecord>> => {
    if (records && Date.now() - loadedAt < ttl) return records;
    // Without this pause, every request carrying an `rg_` key would call the store again during an outage.
    if (!records && lastFailure && Date.now() - lastFailure.at < retryAfterFailureMs) throw lastFailure.error;
    try {
      await reload();
    } catch (cause) {
      // Serving the last good records beats locking out every service account during a store outage.
      if (records) {
        options.onRefreshError?.(cause);
        loadedAt = Date.now();
        return records;
      }
      const error = new AuthError(
        "API_KEYS_UNAVAILABLE",
        "API keys cannot be checked right now, try again later",
        { cause },
      );
      lastFailure = { at: Date.now(), error };
      throw error;
    }
    return records ?? new Map();
  };

  return {
    async verify(key) {
      const id = apiKeyId(key);
      if (id === undefined) throw new AuthError("API_KEY_INVALID", "the API key is malformed");
      const record = (await current()).get(id);
      const presented = Buffer.from(hashApiKey(key), "utf8");
      // Compare even for unknown ids so timing does not reveal which ids exist.
      const expected = Buffer.from(record?.hash ?? hashApiKey(`${key}\0unknown`), "utf8");
      const equal = presented.length === expected.length && timingSafeEqual(presented, expected);
      if (!record || !equal) throw new AuthError("API_KEY_INVALID", "the API key is not valid");
      const p = record.principal;
      return {
        sub: p.sub,
        email: p.email,
        groups: [...p.groups],
        via: "api-key",
        scopes: [...(p.scopes ?? options.defaultScopes ?? [])],
      };
    },
    refresh: () => reload(),
  };
}
