/** A full stack for doctor: GitHub emulator, dev IdP and AWS emulator in-process, and a config pointing at them. */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { KMSClient } from "@aws-sdk/client-kms";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { stringify } from "yaml";
import { generateApiKey } from "../../src/auth/api-keys.ts";
import type { DoctorAwsClients } from "../../src/doctor/check.ts";
import { type RunningAwsEmulator, startAwsEmulator } from "../../wrangler-free-local/aws/index.ts";
import { importRsaKeyIntoKms } from "../../wrangler-free-local/aws/kms/import-key.ts";
import { type RunningGitHubEmulator, startGitHubEmulator } from "../../wrangler-free-local/github/index.ts";
import { type RunningDevIdp, startDevIdp } from "../../wrangler-free-local/idp/index.ts";

export const AWS_CREDENTIALS = {
  accessKeyId: "emulator-test-key",
  secretAccessKey: "dummy-secret-for-tests",
};
export const KMS_ALIAS = "alias/repogate-doctor-test";
export const REPO_ROOT = resolve(import.meta.dirname, "../..");

export interface DoctorStack {
  dir: string;
  github: RunningGitHubEmulator;
  idp: RunningDevIdp;
  aws: RunningAwsEmulator;
  clients: DoctorAwsClients;
  /** A config (as written to YAML) where every check passes. */
  goodConfig: Record<string, unknown>;
  writeConfig(name: string, config: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

const WEBHOOK_SECRET = "0123456789abcdef0123456789abcdef";

export async function startDoctorStack(): Promise<DoctorStack> {
  const dir = await mkdtemp(join(tmpdir(), "repogate-doctor-"));
  const [github, aws] = await Promise.all([
    // The App delivers webhooks to the broker's public URL, signed with the secret stored below.
    startGitHubEmulator({
      dataDir: dir,
      port: 0,
      webhook: { url: "http://127.0.0.1:8700/github/webhook", secret: WEBHOOK_SECRET, active: true },
    }),
    startAwsEmulator({ dataDir: dir, port: 0 }),
  ]);
  const idp = await startDevIdp({ dataDir: dir, port: 0, resourceUrls: ["http://127.0.0.1:8700/mcp"] });
  const at = { endpoint: aws.url, region: "us-east-1", credentials: AWS_CREDENTIALS };
  const clients = {
    kms: new KMSClient(at),
    secretsManager: new SecretsManagerClient(at),
    logs: new CloudWatchLogsClient(at),
  };
  await importRsaKeyIntoKms(clients.kms, await readFile(github.app.privateKeyPath, "utf8"), {
    alias: KMS_ALIAS,
  });
  const key = generateApiKey();
  await clients.secretsManager.send(
    new CreateSecretCommand({
      Name: "repogate/api-keys",
      SecretString: JSON.stringify([{ id: key.id, hash: key.hash, principal: { sub: "svc-ci" } }]),
    }),
  );
  await clients.secretsManager.send(
    new CreateSecretCommand({ Name: "repogate/webhook", SecretString: WEBHOOK_SECRET }),
  );
  const goodConfig = {
    publicUrl: "http://127.0.0.1:8700",
    auth: { oidc: { issuer: idp.issuer, requiredScopes: ["mcp:tools"] } },
    github: {
      apiUrl: github.url,
      appId: github.app.id,
      clientId: github.app.clientId,
      signer: { type: "kms", keyId: KMS_ALIAS, endpoint: aws.url, region: "us-east-1" },
    },
    policy: { file: join(REPO_ROOT, "test/fixtures/policies/good.yaml") },
    audit: { sink: "jsonl", file: join(dir, "audit", "audit.jsonl") },
    aws: { region: "us-east-1", endpoint: aws.url },
    secrets: {
      store: "secretsmanager",
      apiKeysSecret: "repogate/api-keys",
      webhookSecret: "repogate/webhook",
    },
  };
  return {
    dir,
    github,
    idp,
    aws,
    clients,
    goodConfig,
    async writeConfig(name, config) {
      const file = join(dir, name);
      await writeFile(file, stringify(config));
      return file;
    },
    async close() {
      for (const client of Object.values(clients)) client.destroy();
      await Promise.allSettled([github.close(), idp.close(), aws.close()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Runs `node bin/repogate.js doctor …` as a user would, with AWS credentials in its environment. */
export function runDoctorCli(
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ["bin/repogate.js", "doctor", ...args], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        AWS_ACCESS_KEY_ID: AWS_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: AWS_CREDENTIALS.secretAccessKey,
        AWS_EC2_METADATA_DISABLED: "true",
        NODE_NO_WARNINGS: "1",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once("error", fail);
    child.once("close", (code) => done({ code, stdout, stderr }));
  });
}
