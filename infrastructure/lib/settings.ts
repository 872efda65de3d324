import { z } from "zod";

/** Log retentions CloudWatch accepts (days); anything else is refused at synth, not at deploy. */
const RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** `-c key=a,b` arrives as one string; cdk.json may hold a real array. */
const list = z.preprocess(
  (value) =>
    typeof value === "string"
      ? value
          .split(",")
          .map((item) => item.trim())
          .filter(Boolean)
      : value,
  z.array(z.string().min(1)).min(1),
);
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const retention = z.coerce.number().refine((days) => (RETENTION_DAYS as readonly number[]).includes(days), {
  message: `must be one of CloudWatch's retention periods: ${RETENTION_DAYS.join(", ")}`,
});

/**
 * Everything an org admin decides about a deployment, read from CDK context (`cdk.json` or `-c key=value`).
 * Validated once; constructs receive the parsed object, never the raw context.
 */
export const deploymentSettingsSchema = z
  .object({
    account: z
      .string()
      .regex(/^\d{12}$/, "a 12-digit AWS account id")
      .optional(),
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "an AWS region such as eu-west-1")
      .default("us-east-1"),
    /** Listed explicitly: with an account set, the CLI would otherwise look them up (needs credentials). */
    availabilityZones: list.optional(),
    /** The broker's public host name; its MCP URL is https://<domainName>/mcp. */
    domainName: z
      .string()
      .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, "a DNS host name"),
    /** ACM certificate for domainName, in the stack's region. */
    certificateArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[\w-]+$/, "an ACM ARN"),
    oidcIssuer: z.url({ protocol: /^https$/ }),
    /** Accepted `aud` values; default the MCP URL. Entra ID v2: the API's application (client) id GUID. */
    oidcAudiences: list.optional(),
    oidcScopes: list.default(["mcp:tools"]),
    githubAppId: z.coerce.number().int().positive(),
    githubClientId: z.string().min(1).optional(),
    githubApiUrl: z.url({ protocol: /^https$/ }).default("https://api.github.com"),
    /** ECR repository (created by the RepogateImages stack) and the immutable tag to run. */
    imageRepositoryName: z
      .string()
      .regex(/^[a-z0-9]+([._/-][a-z0-9]+)*$/)
      .default("repogate"),
    imageTag: z
      .string()
      .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, "a Docker tag (the commit SHA in the pipeline)"),
    desiredCount: int(1, 20).default(2),
    cpu: z.coerce
      .number()
      .refine((cpu) => [256, 512, 1024, 2048, 4096].includes(cpu), "one of 256, 512, 1024, 2048, 4096")
      .default(512),
    memoryMiB: int(512, 30_720).default(1024),
    lambdaMemoryMiB: int(256, 10_240).default(1024),
    auditRetentionDays: retention.default(400),
    appLogRetentionDays: retention.default(90),
    alarmEmail: z.email().optional(),
    /** The App key's rotation period: older keys raise the key-expiry alarm. */
    appKeyMaxAgeDays: int(1, 3650).default(180),
    /** Requests per source IP per 5 minutes before WAF blocks it (the edge rate limit). */
    wafRequestsPer5Min: int(100, 2_000_000_000).default(1500),
    /** HTTP API throttling for the Lambda variant (steady requests per second, burst). */
    apiRateLimitPerSecond: int(1, 10_000).default(50),
    apiBurstLimit: int(1, 5_000).default(100),
    redisNodeType: z.string().min(1).default("cache.t4g.micro"),
  })
  .strict();

/**
 * The repository policy every deployment enforces, from the repository root: baked into the container image
 * (Dockerfile) and the Lambda bundle, so a policy change is reviewed and shipped like code.
 */
export const DEPLOYED_POLICY_FILE = "infrastructure/policy.yaml";

/** A validated deployment. */
export type DeploymentSettings = z.infer<typeof deploymentSettingsSchema>;

/** The context keys the app reads; anything else in context (CDK's own flags) is ignored. */
export const SETTING_KEYS = Object.keys(deploymentSettingsSchema.shape) as (keyof DeploymentSettings)[];

/** A deployment whose context cannot be used; the message names every bad key. */
export class DeploymentSettingsError extends Error {
  readonly code = "DEPLOYMENT_SETTINGS_INVALID";
  constructor(readonly issues: string[]) {
    super(`invalid CDK context:\n  ${issues.join("\n  ")}`);
    this.name = "DeploymentSettingsError";
  }
}

/** Validates context values (`tryGetContext` results keyed by setting name). */
export function parseDeploymentSettings(context: Record<string, unknown>): DeploymentSettings {
  const raw = Object.fromEntries(
    SETTING_KEYS.filter((k) => context[k] !== undefined).map((k) => [k, context[k]]),
  );
  const parsed = deploymentSettingsSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw new DeploymentSettingsError(
    parsed.error.issues.map((issue) => `${issue.path.join(".") || "(context)"}: ${issue.message}`),
  );
}

/** The broker's public URL and MCP resource URL. */
export function publicUrls(settings: Pick<DeploymentSettings, "domainName">): { base: string; mcp: string } {
  const base = `https://${settings.domainName}`;
  return { base, mcp: `${base}/mcp` };
}

/** Whether rate-limit counters must live in Redis: more than one broker can answer the same caller. */
export function needsSharedRateLimits(variant: "fargate" | "lambda", desiredCount: number): boolean {
  // Lambda runs as many execution environments as there are concurrent requests, each with its own memory.
  return variant === "lambda" || desiredCount > 1;
}
