import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { KMSClient } from "@aws-sdk/client-kms";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { type RunningAwsEmulator, startAwsEmulator } from "../../wrangler-free-local/aws/index.ts";

export const credentials = { accessKeyId: "emulator-test-key", secretAccessKey: "dummy-secret-for-tests" };

/** A running emulator on a free port over a fresh temp data dir. */
export interface EmulatorFixture {
  emulator: RunningAwsEmulator;
  dataDir: string;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startFixture(): Promise<EmulatorFixture> {
  const dataDir = await mkdtemp(join(tmpdir(), "repogate-aws-"));
  const fixture: EmulatorFixture = {
    emulator: await startAwsEmulator({ dataDir }),
    dataDir,
    async restart() {
      const port = fixture.emulator.port;
      await fixture.emulator.close();
      fixture.emulator = await startAwsEmulator({ dataDir, port });
    },
    async stop() {
      await fixture.emulator.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return fixture;
}

type ClientOptions = { maxAttempts?: number };

export function kmsClient(emulator: RunningAwsEmulator, options: ClientOptions = {}): KMSClient {
  return new KMSClient({ endpoint: emulator.url, region: "us-east-1", credentials, ...options });
}

export function secretsClient(
  emulator: RunningAwsEmulator,
  options: ClientOptions = {},
): SecretsManagerClient {
  return new SecretsManagerClient({ endpoint: emulator.url, region: "us-east-1", credentials, ...options });
}

export function logsClient(emulator: RunningAwsEmulator, options: ClientOptions = {}): CloudWatchLogsClient {
  return new CloudWatchLogsClient({ endpoint: emulator.url, region: "us-east-1", credentials, ...options });
}
