/**
 * The peers of the soak, started in this process: the GitHub emulator, the AWS emulator (KMS holding the App key,
 * CloudWatch Logs) and the dev IdP. The broker runs as a child process (broker-process.ts) so it can be SIGTERMed
 * and restarted while these keep their state: every mint, revocation and log event of the whole run.
 */
import { readFile } from "node:fs/promises";
import { KMSClient } from "@aws-sdk/client-kms";
import { freePort } from "../../test/support/ports.ts";
import { type RunningAwsEmulator, startAwsEmulator } from "../../wrangler-free-local/aws/index.ts";
import { importRsaKeyIntoKms } from "../../wrangler-free-local/aws/kms/import-key.ts";
import { type RunningGitHubEmulator, startGitHubEmulator } from "../../wrangler-free-local/github/index.ts";
import { devLogin } from "../../wrangler-free-local/idp/dev-login-client.ts";
import { startDevIdp } from "../../wrangler-free-local/idp/index.ts";
import { LOCAL_MCP_SCOPE } from "../../wrangler-free-local/stack.ts";

export const HOST = "127.0.0.1";
export const KMS_ALIAS = "alias/repogate-soak";
/** Fake credentials: the AWS emulator accepts any, and nothing here may pick up real ones. */
export const LOCAL_AWS_CREDENTIALS = { accessKeyId: "AKIDLOCALSOAK", secretAccessKey: "local-soak-secret" };

export interface LocalServices {
  github: RunningGitHubEmulator;
  aws: RunningAwsEmulator;
  issuer: string;
  brokerPort: number;
  brokerUrl: string;
  mcpUrl: string;
  /** An access token (authorization code + PKCE through the dev IdP) for a seed user. */
  token(email: string): Promise<string>;
  close(): Promise<void>;
}

/** Starts the emulators and the IdP in `dataDir` and imports the App key into the AWS emulator's KMS. */
export async function startLocalServices(dataDir: string): Promise<LocalServices> {
  const started: { close(): Promise<void> }[] = [];
  const closeAll = async () => {
    for (const service of started.reverse()) await service.close();
  };
  try {
    const brokerPort = await freePort();
    const brokerUrl = `http://${HOST}:${brokerPort}`;
    const mcpUrl = `${brokerUrl}/mcp`;
    // GitHub's 5,000/h per installation would end a 10,000-call soak; its secondary limits are injected instead.
    const github = await startGitHubEmulator({
      host: HOST,
      port: 0,
      dataDir,
      rateLimits: { corePerHour: 1_000_000 },
    });
    started.push(github);
    const idp = await startDevIdp({ host: HOST, port: 0, dataDir, resourceUrls: [mcpUrl] });
    started.push(idp);
    const aws = await startAwsEmulator({ host: HOST, port: 0, dataDir });
    started.push(aws);
    const kms = new KMSClient({ region: aws.region, endpoint: aws.url, credentials: LOCAL_AWS_CREDENTIALS });
    try {
      await importRsaKeyIntoKms(kms, await readFile(github.app.privateKeyPath, "utf8"), { alias: KMS_ALIAS });
    } finally {
      kms.destroy();
    }
    return {
      github,
      aws,
      issuer: idp.issuer,
      brokerPort,
      brokerUrl,
      mcpUrl,
      token: async (email) =>
        (
          await devLogin({
            issuer: idp.issuer,
            user: email,
            resource: mcpUrl,
            scope: `openid ${LOCAL_MCP_SCOPE}`,
          })
        ).access_token,
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
