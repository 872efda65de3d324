/**
 * Bench process 1: the upstreams. GitHub emulator (limits raised so they are not what is measured),
 * dev IdP and AWS emulator with the App key imported into KMS, as in production.
 *   node --import tsx bench/overhead/emulators.ts '{"dataDir":…,"resourceUrls":[…],"upstreamLatencyMs":0}'
 */
import { readFile } from "node:fs/promises";
import { KMSClient } from "@aws-sdk/client-kms";
import { startAwsEmulator } from "../../wrangler-free-local/aws/index.ts";
import { importRsaKeyIntoKms } from "../../wrangler-free-local/aws/kms/import-key.ts";
import { startGitHubEmulator } from "../../wrangler-free-local/github/index.ts";
import { startDevIdp } from "../../wrangler-free-local/idp/index.ts";
import { benchChild } from "./child.ts";

const HOST = "127.0.0.1";
export const KMS_ALIAS = "alias/repogate-bench";
export const BENCH_AWS_CREDENTIALS = { accessKeyId: "AKIDLOCALBENCH", secretAccessKey: "local-bench-secret" };

const options = JSON.parse(process.argv[2] ?? "{}") as {
  dataDir: string;
  resourceUrls: string[];
  upstreamLatencyMs?: number;
};
const github = await startGitHubEmulator({
  host: HOST,
  port: 0,
  dataDir: options.dataDir,
  rateLimits: { corePerHour: 1_000_000 },
});
if (options.upstreamLatencyMs) github.faults.add({ kind: "latency", latencyMs: options.upstreamLatencyMs });
const idp = await startDevIdp({
  host: HOST,
  port: 0,
  dataDir: options.dataDir,
  resourceUrls: options.resourceUrls,
});
const aws = await startAwsEmulator({ host: HOST, port: 0, dataDir: options.dataDir });
const kms = new KMSClient({ region: aws.region, endpoint: aws.url, credentials: BENCH_AWS_CREDENTIALS });
await importRsaKeyIntoKms(kms, await readFile(github.app.privateKeyPath, "utf8"), { alias: KMS_ALIAS });
kms.destroy();

benchChild(async () => {
  await Promise.allSettled([github.close(), idp.close(), aws.close()]);
}).ready({
  github: { url: github.url, ...github.app },
  issuer: idp.issuer,
  aws: { url: aws.url, region: aws.region },
  kmsAlias: KMS_ALIAS,
});
