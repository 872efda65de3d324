import { readFile } from "node:fs/promises";
import path from "node:path";
import { GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { parseConfig } from "../config/load.ts";
import { secretEnvName } from "../secrets/local-store.ts";

/** The name the local stack gives the webhook secret (wrangler-free-local/stack.ts LOCAL_WEBHOOK_SECRET_NAME). */
const LOCAL_WEBHOOK_SECRET = "github-webhook-secret";

import type { RepogateConfig } from "../config/schema.ts";
import { type DoctorCheck, describeError, fail, pass } from "./check.ts";

/** The parts of `.repogate/local.json` (written by `repogate local`) that doctor reads. */
interface LocalDescription {
  dataDir?: string;
  github: {
    url: string;
    appId: number;
    clientId?: string;
    privateKeyPath: string;
    webhookUrl?: string;
    webhookSecret?: string;
  };
  idp: { issuer: string };
  aws: { url: string; region: string };
  broker: { url: string; resourceUrl?: string; policyFile?: string };
  pid?: number;
}

/** `local.json` is missing or unreadable: the local stack was never started here. */
export class LocalStackNotFoundError extends Error {
  readonly code = "LOCAL_STACK_NOT_FOUND";
}

/** Reads `<dataDir>/local.json` and turns it into the config the local broker runs with. */
export async function loadLocalStackConfig(dataDir: string): Promise<{
  config: RepogateConfig;
  local: LocalDescription;
  file: string;
  /** `REPOGATE_SECRET_*` values the local broker was given (its webhook secret), for the secret checks. */
  secretEnv: Record<string, string>;
}> {
  const file = path.join(dataDir, "local.json");
  let local: LocalDescription;
  try {
    local = JSON.parse(await readFile(file, "utf8")) as LocalDescription;
  } catch (error) {
    throw new LocalStackNotFoundError(
      `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  const root = local.dataDir ?? dataDir;
  const config = parseConfig({
    publicUrl: local.broker.url,
    auth: { oidc: { issuer: local.idp.issuer, requiredScopes: ["mcp:tools"] } },
    github: {
      apiUrl: local.github.url,
      appId: local.github.appId,
      ...(local.github.clientId ? { clientId: local.github.clientId } : {}),
      signer: { type: "pem", privateKeyPath: local.github.privateKeyPath },
    },
    policy: { file: local.broker.policyFile ?? "wrangler-free-local/seed/policy.yaml" },
    audit: { sink: "jsonl", file: path.join(root, "audit", "audit.jsonl") },
    aws: { region: local.aws.region, endpoint: local.aws.url },
    ...(local.github.webhookSecret ? { secrets: { webhookSecret: LOCAL_WEBHOOK_SECRET } } : {}),
  });
  const secretEnv: Record<string, string> = local.github.webhookSecret
    ? { [secretEnvName(LOCAL_WEBHOOK_SECRET)]: local.github.webhookSecret }
    : {};
  return { config, local, file, secretEnv };
}

/** The local broker answers `/healthz` and `/readyz`. */
export function brokerHealthCheck(brokerUrl: string): DoctorCheck {
  return {
    name: "broker",
    fixOnTimeout: "the broker does not answer: restart it with `npm start`",
    async run({ timeoutMs }) {
      const get = (route: string) =>
        fetch(`${brokerUrl}${route}`, { signal: AbortSignal.timeout(timeoutMs) });
      try {
        const health = await get("/healthz");
        if (!health.ok)
          return fail(
            `${brokerUrl}/healthz answered ${health.status}`,
            "restart the broker with `npm start`",
          );
        const ready = await get("/readyz");
        if (!ready.ok) {
          const body = (await ready.json().catch(() => ({}))) as { failed?: string[] };
          return fail(
            `${brokerUrl}/readyz answered ${ready.status}${body.failed ? ` (failed: ${body.failed.join(", ")})` : ""}`,
            "a dependency of the broker is down: see the other checks and the broker's log",
          );
        }
      } catch (error) {
        return fail(
          `${brokerUrl}: ${describeError(error)}`,
          "start the local stack with `npm start` (repogate local)",
        );
      }
      return pass(`${brokerUrl}: healthy and ready`);
    },
  };
}

/** The AWS emulator answers Secrets Manager requests (a missing secret is a fine answer). */
export const awsEmulatorCheck: DoctorCheck = {
  name: "aws emulator",
  fixOnTimeout: "the AWS emulator does not answer: restart the local stack with `npm start`",
  async run({ config, aws, timeoutMs }) {
    try {
      await aws.secretsManager.send(new GetSecretValueCommand({ SecretId: "repogate/doctor-probe" }), {
        abortSignal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      if ((error as { name?: string }).name !== "ResourceNotFoundException") {
        return fail(
          `${config.aws.endpoint}: ${describeError(error)}`,
          "start the local stack with `npm start` (repogate local)",
        );
      }
    }
    return pass(`${config.aws.endpoint}: KMS, Secrets Manager and CloudWatch Logs answer`);
  },
};
