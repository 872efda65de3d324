import { z } from "zod";

const url = z.url({ protocol: /^https?$/ });
const durationMs = z.number().int().nonnegative();

/** App JWT signing: a PEM file for local use, or a KMS key that never lets the private key out. */
const signerSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("pem"), privateKeyPath: z.string().min(1) }).strict(),
  z
    .object({
      type: z.literal("kms"),
      /** Key id, key ARN, alias name (`alias/…`) or alias ARN. */
      keyId: z.string().min(1),
      region: z.string().min(1).optional(),
      endpoint: url.optional(),
    })
    .strict(),
]);

/** Every setting of the broker, validated once at start-up; modules receive the part they need. */
export const configSchema = z
  .object({
    /** The broker's public base URL; the MCP resource is `<publicUrl>/mcp`. */
    publicUrl: url,
    listen: z
      .object({
        host: z.string().min(1).default("127.0.0.1"),
        port: z.number().int().min(0).max(65535).default(8700),
      })
      .strict()
      .prefault({}),
    auth: z
      .object({
        oidc: z
          .object({
            issuer: url,
            /** Accepted `aud` values; defaults to the public `/mcp` URL. */
            audiences: z.array(z.string().min(1)).optional(),
            algorithms: z
              .array(z.enum(["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384"]))
              .optional(),
            // The verifier caps skew at 60 s (reliability anchors §2.2); a larger value would be silently lowered.
            clockToleranceSec: z.number().int().min(0).max(60).default(30),
            /**
             * Scopes every MCP message needs, as the IdP writes them into access tokens for repogate (e.g.
             * `mcp:tools`, or Entra's `api://…/mcp.tools`). Required: without one, any token for the audience
             * could call every tool, and clients would not know which scope to ask for.
             */
            requiredScopes: z
              .array(z.string().min(1))
              .min(1, "set the scope(s) your IdP puts in access tokens for repogate, e.g. [mcp:tools]"),
            claims: z
              .object({
                email: z.string().min(1).default("email"),
                groups: z.string().min(1).default("groups"),
              })
              .strict()
              .prefault({}),
          })
          .strict(),
        /** File of API-key hashes for service accounts (Secrets Manager in AWS). */
        apiKeysFile: z.string().min(1).optional(),
      })
      .strict(),
    github: z
      .object({
        apiUrl: url.default("https://api.github.com"),
        appId: z.number().int().positive(),
        clientId: z.string().min(1).optional(),
        signer: signerSchema,
        installationCacheTtlMs: durationMs.default(10 * 60_000),
        retries: z.number().int().min(0).max(10).default(2),
        tokenReuse: z
          .object({ enabled: z.boolean().default(false), ttlMs: durationMs.max(60_000).default(5_000) })
          .strict()
          .prefault({}),
      })
      .strict(),
    policy: z.object({ file: z.string().min(1), watch: z.boolean().default(true) }).strict(),
    rateLimit: z
      .object({
        perPrincipal: z
          .object({
            points: z.number().int().positive().default(120),
            durationSec: z.number().int().positive().default(60),
          })
          .strict()
          .prefault({}),
        failedAuthPerIp: z
          .object({
            points: z.number().int().positive().default(20),
            durationSec: z.number().int().positive().default(60),
          })
          .strict()
          .prefault({}),
        redisUrl: z.string().min(1).optional(),
      })
      .strict()
      .prefault({}),
    http: z
      .object({
        allowedOrigins: z.array(z.string().min(1)).default([]),
        maxBodyBytes: z
          .number()
          .int()
          .positive()
          .default(1024 * 1024),
        /** Largest JSON-RPC batch (clients of protocols before 2025-06-18; later ones may not batch at all). */
        maxBatchMessages: z.number().int().min(1).max(100).default(10),
        trustProxyHops: z.number().int().min(0).max(5).default(0),
      })
      .strict()
      .prefault({}),
    audit: z
      .object({
        sink: z.enum(["jsonl", "cloudwatch"]).default("jsonl"),
        file: z.string().min(1).default(".repogate/audit/audit.jsonl"),
        logGroup: z.string().min(1).optional(),
        onFailure: z.enum(["deny", "spool"]).default("deny"),
      })
      .strict()
      .prefault({}),
    aws: z
      .object({ region: z.string().min(1).default("us-east-1"), endpoint: url.optional() })
      .strict()
      .prefault({}),
    /** Where named secrets come from (src/secrets/, src/aws/secrets-manager-store.ts). */
    secrets: z
      .object({
        /** `local`: environment variables `REPOGATE_SECRET_<NAME>`, then `file`; `secretsmanager`: AWS (uses `aws.*`). */
        store: z.enum(["local", "secretsmanager"]).default("local"),
        /** YAML/JSON file of named secrets for the local store. */
        file: z.string().min(1).optional(),
        cacheTtlMs: durationMs.default(5 * 60_000),
        /** How long a cached value is served while Secrets Manager is unreachable. */
        maxStaleMs: durationMs.default(60 * 60_000),
        /** Secret holding the API-key records (takes the place of `auth.apiKeysFile`). */
        apiKeysSecret: z.string().min(1).optional(),
        /** Secret holding the GitHub webhook secret. */
        webhookSecret: z.string().min(1).optional(),
        /** Accept AWSPENDING API keys and webhook secrets too while a rotation is in progress. */
        acceptPendingDuringRotation: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    /** Operational metrics (src/metrics/): Prometheus exposition or CloudWatch EMF lines. */
    metrics: z
      .object({
        exporter: z.enum(["prometheus", "emf", "none"]).default("prometheus"),
        prometheus: z
          .object({
            /** Serve `/metrics` on its own port (no token needed there); on the main port when absent. */
            port: z.number().int().min(0).max(65535).optional(),
            host: z.string().min(1).default("127.0.0.1"),
            /** Secret (in the secret store) holding the bearer token `/metrics` on the main port requires. */
            tokenSecret: z.string().min(1).optional(),
            /** Also export Node process metrics (CPU, memory, event loop lag). */
            processMetrics: z.boolean().default(true),
          })
          .strict()
          .prefault({}),
        emf: z
          .object({
            namespace: z.string().min(1).max(255).default("Repogate"),
            flushIntervalMs: z.number().int().min(1_000).default(60_000),
          })
          .strict()
          .prefault({}),
        /** When the App key was created, if not readable from KMS (PEM keys): feeds `app_key_age_days`. */
        appKeyCreatedAt: z.iso.datetime({ offset: true }).optional(),
      })
      .strict()
      .prefault({}),
    logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  })
  .strict()
  .superRefine((config, ctx) => {
    if (config.audit.sink === "cloudwatch" && !config.audit.logGroup) {
      ctx.addIssue({
        code: "custom",
        path: ["audit", "logGroup"],
        message: "required when audit.sink is cloudwatch: the log group the audit events go to",
      });
    }
  });

/** Validated broker settings. */
export type RepogateConfig = z.infer<typeof configSchema>;
/** Settings as written in a file, before defaults are applied. */
export type RepogateConfigInput = z.input<typeof configSchema>;
