import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { KMSClient } from "@aws-sdk/client-kms";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { loadConfig } from "../config/load.ts";
import type { RepogateConfig } from "../config/schema.ts";
import { createAppJwtSigner, createGitHubClients, type GitHubClients } from "../github/index.ts";
import { kmsCheck, secretsCheck } from "./aws-checks.ts";
import { auditCheck, idpCheck, policyCheck } from "./basic-checks.ts";
import {
  type DoctorAwsClients,
  type DoctorCheck,
  type DoctorContext,
  describeError,
  formatResults,
  type NamedResult,
  runChecks,
} from "./check.ts";
import { githubAppCheck, githubInstallationsCheck, githubWebhookCheck } from "./github-checks.ts";
import { awsEmulatorCheck, brokerHealthCheck, loadLocalStackConfig } from "./local.ts";

export interface DoctorOptions {
  /** Config file (YAML/JSON); REPOGATE_* variables in `env` override it. */
  configFile?: string;
  /** Check the running local stack described by `<dataDir>/local.json` instead of a config. */
  local?: boolean;
  /** Where `local.json` lives for `local`. Default `.repogate`. */
  dataDir?: string;
  env: Record<string, string | undefined>;
  /** Per-check deadline. Default 10 s. */
  timeoutMs?: number;
  print?: (line: string) => void;
  /** Clients to use instead of ones built from config (tests). */
  aws?: Partial<DoctorAwsClients>;
  auditProbe?: () => Promise<string>;
}

/** The local AWS emulator checks no signatures; any well-formed credentials do. */
const LOCAL_EMULATOR_CREDENTIALS = {
  accessKeyId: "repogate-local-emulator",
  secretAccessKey: "local-emulator",
};

/** The checks for a production config, in the order they are printed. */
export const CONFIG_CHECKS: DoctorCheck[] = [
  policyCheck,
  idpCheck,
  githubAppCheck,
  githubInstallationsCheck,
  githubWebhookCheck,
  kmsCheck,
  secretsCheck,
  auditCheck,
];

/** AWS clients from config: KMS at the signer's region/endpoint (falling back to `aws.*`), the rest at `aws.*`. */
export function createDoctorAwsClients(
  config: RepogateConfig,
  credentials?: { accessKeyId: string; secretAccessKey: string },
): DoctorAwsClients {
  const signer = config.github.signer.type === "kms" ? config.github.signer : undefined;
  // Two attempts: one retry for a blip, without turning a dead endpoint into a long wait.
  const common = { maxAttempts: 2, ...(credentials ? { credentials } : {}) };
  const at = (region: string, endpoint: string | undefined) => ({
    ...common,
    region,
    ...(endpoint ? { endpoint } : {}),
  });
  return {
    kms: new KMSClient(at(signer?.region ?? config.aws.region, signer?.endpoint ?? config.aws.endpoint)),
    secretsManager: new SecretsManagerClient(at(config.aws.region, config.aws.endpoint)),
    logs: new CloudWatchLogsClient(at(config.aws.region, config.aws.endpoint)),
  };
}

/** Builds the context checks share; the GitHub client is created on first use and reused. */
export function createDoctorContext(
  config: RepogateConfig,
  options: Pick<DoctorOptions, "env" | "timeoutMs" | "aws" | "auditProbe" | "local">,
): DoctorContext & { close(): void } {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const built =
    options.aws?.kms && options.aws.secretsManager && options.aws.logs
      ? undefined
      : createDoctorAwsClients(config, options.local ? LOCAL_EMULATOR_CREDENTIALS : undefined);
  const aws: DoctorAwsClients = {
    kms: options.aws?.kms ?? (built as DoctorAwsClients).kms,
    secretsManager: options.aws?.secretsManager ?? (built as DoctorAwsClients).secretsManager,
    logs: options.aws?.logs ?? (built as DoctorAwsClients).logs,
  };
  let github: Promise<GitHubClients> | undefined;
  return {
    config,
    env: options.env,
    aws,
    timeoutMs,
    close() {
      // Only the clients built here: injected ones belong to the caller.
      for (const client of Object.values(built ?? {})) client.destroy();
    },
    ...(options.auditProbe ? { auditProbe: options.auditProbe } : {}),
    github() {
      github ??= createAppJwtSigner(config.github.signer, { client: aws.kms }).then((signer) =>
        createGitHubClients({
          appId: config.github.appId,
          clientId: config.github.clientId,
          baseUrl: config.github.apiUrl,
          signer,
          retries: 0,
          requestTimeoutMs: timeoutMs,
          throttle: { secondaryRateLimitRetries: 0, rateLimitRetries: 0, maxRetryAfterSeconds: 1 },
          userAgent: "repogate-doctor",
          log: {
            debug: () => undefined,
            info: () => undefined,
            warn: () => undefined,
            error: () => undefined,
          },
        }),
      );
      return github;
    },
  };
}

/** Runs `repogate doctor`: prints one line per check and returns the exit code (0 all passed, 1 otherwise). */
export async function runDoctor(
  options: DoctorOptions,
): Promise<{ exitCode: number; results: NamedResult[] }> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const results: NamedResult[] = [];
  let config: RepogateConfig;
  let checks: DoctorCheck[];
  // The local broker's webhook secret lives in its environment secret store; doctor reads it the same way.
  let env = options.env;
  if (options.local) {
    const dataDir = options.dataDir ?? ".repogate";
    try {
      const loaded = await loadLocalStackConfig(dataDir);
      config = loaded.config;
      env = { ...options.env, ...loaded.secretEnv };
      results.push({ name: "local stack", status: "pass", detail: loaded.file });
      checks = [
        brokerHealthCheck(loaded.local.broker.url),
        policyCheck,
        idpCheck,
        githubAppCheck,
        githubInstallationsCheck,
        githubWebhookCheck,
        awsEmulatorCheck,
        auditCheck,
      ];
    } catch (error) {
      results.push({
        name: "local stack",
        status: "fail",
        detail: describeError(error),
        fix: "start the local stack with `npm start` (it writes .repogate/local.json), or pass --data-dir",
      });
      for (const line of formatResults(results)) print(line);
      return { exitCode: 1, results };
    }
  } else {
    try {
      config = await loadConfig({
        ...(options.configFile ? { file: options.configFile } : {}),
        env: options.env,
      });
      results.push({ name: "config", status: "pass", detail: options.configFile ?? "(environment only)" });
      checks = CONFIG_CHECKS;
    } catch (error) {
      results.push({
        name: "config",
        status: "fail",
        detail: describeError(error).replace(/\n\s*/g, "; "),
        fix: `correct the settings named above in ${options.configFile ?? "the config (--config FILE or REPOGATE_CONFIG)"}`,
      });
      for (const line of formatResults(results)) print(line);
      return { exitCode: 1, results };
    }
  }
  const context = createDoctorContext(config, { ...options, env });
  try {
    results.push(...(await runChecks(checks, context)));
  } finally {
    context.close();
  }
  for (const line of formatResults(results)) print(line);
  const failed = results.filter((r) => r.status === "fail").length;
  print(failed === 0 ? "\nall checks passed" : `\n${failed} check${failed === 1 ? "" : "s"} failed`);
  return { exitCode: failed === 0 ? 0 : 1, results };
}
