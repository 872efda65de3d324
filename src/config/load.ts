import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import { configSchema, type RepogateConfig } from "./schema.ts";

/** A configuration that cannot be used; the message lists every problem with its setting path. */
export class ConfigError extends Error {
  readonly code = "CONFIG_INVALID";
  constructor(
    message: string,
    readonly issues: string[] = [],
  ) {
    super(message);
    this.name = "ConfigError";
  }
}

/**
 * Environment variables that override single settings (handy in containers); the value is parsed per type.
 * `REPOGATE_KMS_KEY_ID` also selects the KMS signer.
 */
const ENV_OVERRIDES: Record<string, { path: string[]; type: "string" | "number" | "boolean" | "list" }> = {
  REPOGATE_PUBLIC_URL: { path: ["publicUrl"], type: "string" },
  REPOGATE_HOST: { path: ["listen", "host"], type: "string" },
  REPOGATE_PORT: { path: ["listen", "port"], type: "number" },
  REPOGATE_OIDC_ISSUER: { path: ["auth", "oidc", "issuer"], type: "string" },
  REPOGATE_OIDC_AUDIENCES: { path: ["auth", "oidc", "audiences"], type: "list" },
  REPOGATE_OIDC_SCOPES: { path: ["auth", "oidc", "requiredScopes"], type: "list" },
  REPOGATE_GITHUB_API_URL: { path: ["github", "apiUrl"], type: "string" },
  REPOGATE_GITHUB_APP_ID: { path: ["github", "appId"], type: "number" },
  REPOGATE_GITHUB_CLIENT_ID: { path: ["github", "clientId"], type: "string" },
  REPOGATE_KMS_KEY_ID: { path: ["github", "signer", "keyId"], type: "string" },
  REPOGATE_POLICY_FILE: { path: ["policy", "file"], type: "string" },
  REPOGATE_REDIS_URL: { path: ["rateLimit", "redisUrl"], type: "string" },
  REPOGATE_TRUST_PROXY_HOPS: { path: ["http", "trustProxyHops"], type: "number" },
  REPOGATE_AUDIT_SINK: { path: ["audit", "sink"], type: "string" },
  REPOGATE_AUDIT_LOG_GROUP: { path: ["audit", "logGroup"], type: "string" },
  // Containers with a read-only root filesystem keep the spool and dead-letter file under /tmp.
  REPOGATE_AUDIT_FILE: { path: ["audit", "file"], type: "string" },
  REPOGATE_AWS_REGION: { path: ["aws", "region"], type: "string" },
  REPOGATE_SECRETS_STORE: { path: ["secrets", "store"], type: "string" },
  REPOGATE_API_KEYS_SECRET: { path: ["secrets", "apiKeysSecret"], type: "string" },
  REPOGATE_WEBHOOK_SECRET_NAME: { path: ["secrets", "webhookSecret"], type: "string" },
  REPOGATE_METRICS_EXPORTER: { path: ["metrics", "exporter"], type: "string" },
  REPOGATE_LOG_LEVEL: { path: ["logLevel"], type: "string" },
};

function convert(name: string, raw: string, type: "string" | "number" | "boolean" | "list"): unknown {
  switch (type) {
    case "number": {
      const value = Number(raw);
      if (raw.trim() === "" || !Number.isFinite(value))
        throw new ConfigError(`${name} must be a number (got "${raw}")`);
      return value;
    }
    case "boolean":
      if (raw !== "true" && raw !== "false")
        throw new ConfigError(`${name} must be true or false (got "${raw}")`);
      return raw === "true";
    case "list":
      return raw
        .split(",")
        .map((item) => item.trim())
        .filter(Boolean);
    default:
      return raw;
  }
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== "object" || next === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
}

/** Applies `REPOGATE_*` overrides from an environment object onto raw (unvalidated) settings. */
export function applyEnvOverrides(
  raw: Record<string, unknown>,
  env: Record<string, string | undefined>,
): void {
  // A KMS key id means the KMS signer: a file's PEM signer (or none) would otherwise end in a confusing
  // "invalid discriminator" or "unrecognized key keyId" error.
  if (env.REPOGATE_KMS_KEY_ID) {
    const github = (typeof raw.github === "object" && raw.github !== null ? raw.github : {}) as Record<
      string,
      unknown
    >;
    const signer = github.signer as { type?: unknown } | undefined;
    if (signer?.type !== "kms") raw.github = { ...github, signer: { type: "kms" } };
  }
  for (const [name, { path, type }] of Object.entries(ENV_OVERRIDES)) {
    const value = env[name];
    if (value !== undefined && value !== "") setPath(raw, path, convert(name, value, type));
  }
}

/** Validates raw settings, with every problem named by its setting path. */
export function parseConfig(raw: unknown): RepogateConfig {
  const result = configSchema.safeParse(raw);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);
  throw new ConfigError(`invalid configuration:\n  ${issues.join("\n  ")}`, issues);
}

/** Reads a YAML or JSON config file, applies environment overrides and validates the result. */
export async function loadConfig(options: {
  file?: string;
  env?: Record<string, string | undefined>;
}): Promise<RepogateConfig> {
  let raw: Record<string, unknown> = {};
  if (options.file) {
    let text: string;
    try {
      text = await readFile(options.file, "utf8");
    } catch (error) {
      throw new ConfigError(
        `cannot read config file ${options.file}: ${(error as NodeJS.ErrnoException).code ?? error}`,
      );
    }
    let parsed: unknown;
    try {
      parsed = parseYaml(text);
    } catch (error) {
      throw new ConfigError(
        `config file ${options.file} is not valid YAML/JSON: ${(error as Error).message}`,
      );
    }
    if (parsed !== null && parsed !== undefined) {
      if (typeof parsed !== "object" || Array.isArray(parsed)) {
        throw new ConfigError(`config file ${options.file} must hold a mapping of settings`);
      }
      raw = parsed as Record<string, unknown>;
    }
  }
  if (options.env) applyEnvOverrides(raw, options.env);
  return parseConfig(raw);
}
