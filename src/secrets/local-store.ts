import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import {
  CURRENT_STAGE,
  type SecretReadOptions,
  type SecretStore,
  SecretStoreError,
  type SecretValue,
  withJson,
} from "./secret-store.ts";

/** Local secrets have one version only: asking for another stage (e.g. AWSPENDING) finds nothing. */
function onlyCurrent(name: string, options: SecretReadOptions | undefined, where: string): void {
  const stage = options?.stage ?? CURRENT_STAGE;
  if (stage !== CURRENT_STAGE) {
    throw new SecretStoreError(
      "SECRET_NOT_FOUND",
      `secret ${name} has no ${stage} version in ${where} (local secrets only have AWSCURRENT)`,
      name,
    );
  }
}

/** The environment variable that holds a secret: `REPOGATE_SECRET_` + the name upper-cased, other characters as `_`. */
export function secretEnvName(name: string): string {
  return `REPOGATE_SECRET_${name.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}

/** Reads secrets from environment variables (`repogate/api-keys` → `REPOGATE_SECRET_REPOGATE_API_KEYS`); the env object is passed in. */
export function createEnvSecretStore(env: Record<string, string | undefined>): SecretStore {
  return withJson({
    async get(name, options) {
      onlyCurrent(name, options, "the environment");
      const variable = secretEnvName(name);
      const value = env[variable];
      if (value === undefined || value === "") {
        throw new SecretStoreError(
          "SECRET_NOT_FOUND",
          `secret ${name} is not set: export ${variable} or put it in the secrets file`,
          name,
        );
      }
      return { name, value, stages: [CURRENT_STAGE] };
    },
    describe: () => "environment variables REPOGATE_SECRET_*",
  });
}

/** Parses a secrets file: a mapping of names to values, optionally under a top-level `secrets:` key. */
export function parseSecretsFile(text: string, source: string): Map<string, string> {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (cause) {
    throw new SecretStoreError("SECRET_STORE_INVALID", `${source}: not valid YAML or JSON`, undefined, {
      cause,
    });
  }
  if (document === null || document === undefined) return new Map();
  if (typeof document !== "object" || Array.isArray(document)) {
    throw new SecretStoreError(
      "SECRET_STORE_INVALID",
      `${source}: must be a mapping of secret names to values`,
    );
  }
  let entries = document as Record<string, unknown>;
  const keys = Object.keys(entries);
  const wrapped = entries.secrets;
  if (keys.length === 1 && typeof wrapped === "object" && wrapped !== null && !Array.isArray(wrapped)) {
    entries = wrapped as Record<string, unknown>;
  }
  const secrets = new Map<string, string>();
  for (const [name, value] of Object.entries(entries)) {
    if (value === null || value === undefined) continue;
    // Structured values (API-key lists, objects) are kept as JSON text, as Secrets Manager would hold them.
    secrets.set(name, typeof value === "string" ? value : JSON.stringify(value));
  }
  return secrets;
}

/** Reads secrets from a YAML/JSON file, re-reading it on every get so an edit applies without a restart. */
export function createFileSecretStore(path: string): SecretStore {
  return withJson({
    async get(name, options) {
      onlyCurrent(name, options, path);
      let text: string;
      try {
        text = await readFile(path, "utf8");
      } catch (cause) {
        throw new SecretStoreError(
          "SECRET_STORE_INVALID",
          `cannot read secrets file ${path} (${(cause as NodeJS.ErrnoException).code ?? "error"}): check secrets.file`,
          name,
          { cause },
        );
      }
      const value = parseSecretsFile(text, path).get(name);
      if (value === undefined) {
        throw new SecretStoreError("SECRET_NOT_FOUND", `secret ${name} is not in ${path}`, name);
      }
      return { name, value, stages: [CURRENT_STAGE] };
    },
    describe: () => `secrets file ${path}`,
  });
}

/** Tries each store in turn and returns the first that has the secret (environment before file, typically). */
export function createChainedSecretStore(stores: SecretStore[]): SecretStore {
  if (stores.length === 0) throw new SecretStoreError("SECRET_STORE_INVALID", "no secret store configured");
  return withJson({
    async get(name, options): Promise<SecretValue> {
      const misses: string[] = [];
      for (const store of stores) {
        try {
          return await store.get(name, options);
        } catch (error) {
          if (!(error instanceof SecretStoreError) || error.code !== "SECRET_NOT_FOUND") throw error;
          misses.push(error.message);
        }
      }
      throw new SecretStoreError("SECRET_NOT_FOUND", misses.join("; "), name);
    },
    describe: () => stores.map((s) => s.describe()).join(", then "),
  });
}
