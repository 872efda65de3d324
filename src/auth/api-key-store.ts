import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

const ApiKeyRecordSchema = z.strictObject({
  /** The `<id>` part of `rg_<id>_<secret>`; lets a key be found without comparing every hash. */
  id: z.string().regex(/^[a-z0-9]{6,32}$/, "id must be 6-32 lowercase letters or digits"),
  hash: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'hash must be "sha256:" followed by 64 hex digits'),
  principal: z.strictObject({
    sub: z.string().min(1),
    email: z.string().optional(),
    groups: z.array(z.string().min(1)).default([]),
    description: z.string().optional(),
    /** OAuth-style scopes this key carries; defaults to the scopes the endpoint requires. */
    scopes: z.array(z.string().min(1)).optional(),
  }),
});

const ApiKeyFileSchema = z.union([
  z.array(ApiKeyRecordSchema),
  z.strictObject({ apiKeys: z.array(ApiKeyRecordSchema) }),
]);

/** One service-account key as stored: never the key itself, only its SHA-256 hash. */
export type ApiKeyRecord = z.infer<typeof ApiKeyRecordSchema>;

/** Where API key records come from (a file or an environment value locally, Secrets Manager on AWS). */
export interface ApiKeyStore {
  loadApiKeys(): Promise<ApiKeyRecord[]>;
}

/** The key records could not be read or are invalid; the message names the source and field, never a hash. */
export class ApiKeyStoreError extends Error {
  readonly code = "API_KEY_STORE_INVALID";
}

/** Parses a JSON or YAML document of API key records (a list, or `{ apiKeys: [...] }`). */
export function parseApiKeyRecords(text: string, source: string): ApiKeyRecord[] {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (cause) {
    throw new ApiKeyStoreError(`${source}: not valid JSON or YAML`, { cause });
  }
  if (document === null || document === undefined) return [];
  const parsed = ApiKeyFileSchema.safeParse(document);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ApiKeyStoreError(
      `${source}: ${issue?.path.join(".") || "document"}: ${issue?.message ?? "invalid"}`,
    );
  }
  const records = Array.isArray(parsed.data) ? parsed.data : parsed.data.apiKeys;
  const seen = new Set<string>();
  for (const record of records) {
    if (seen.has(record.id)) throw new ApiKeyStoreError(`${source}: duplicate API key id ${record.id}`);
    seen.add(record.id);
  }
  return records;
}

/** Reads API key records from a JSON or YAML file on every load (so edits apply after the refresh TTL). */
export function createFileApiKeyStore(path: string): ApiKeyStore {
  return {
    async loadApiKeys() {
      const text = await readFile(path, "utf8");
      return parseApiKeyRecords(text, path);
    },
  };
}

/** API key records given inline, e.g. the value of an environment variable read by the config layer. */
export function createInlineApiKeyStore(text: string, source = "inline API keys"): ApiKeyStore {
  const records = parseApiKeyRecords(text, source);
  return { loadApiKeys: async () => records };
}
