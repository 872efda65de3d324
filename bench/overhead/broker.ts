/**
 * Bench process 2: the broker alone, built like the local stack's except that the App JWT is signed by
 * KMS (as in production) and the per-principal limit is raised so the limiter is not what is measured.
 * Run as an esbuild bundle on plain Node, like the production image (see processes.ts); it imports nothing
 * of wrangler-free-local/, so no emulator or IdP code sits in the measured process.
 *   node broker.mjs '{"port":…,"issuer":…,"scope":…,"policyFile":…,"github":{…},"aws":{…},…}'
 */
import { join } from "node:path";
import pino from "pino";
import { parseConfig } from "../../src/config/index.ts";
import { startServer } from "../../src/server.ts";
import { benchChild } from "./child.ts";

const options = JSON.parse(process.argv[2] ?? "{}") as {
  port: number;
  dataDir: string;
  issuer: string;
  /** The scope the dev IdP issues for repogate, and the seed policy (both from the local stack, via the driver). */
  scope: string;
  policyFile: string;
  github: { url: string; id: number; clientId: string };
  aws: { url: string; region: string };
  kmsAlias: string;
  tokenReuse: boolean;
};
const HOST = "127.0.0.1";
const brokerUrl = `http://${HOST}:${options.port}`;
const config = parseConfig({
  publicUrl: brokerUrl,
  listen: { host: HOST, port: options.port },
  auth: { oidc: { issuer: options.issuer, requiredScopes: [options.scope] } },
  github: {
    apiUrl: options.github.url,
    appId: options.github.id,
    clientId: options.github.clientId,
    signer: { type: "kms", keyId: options.kmsAlias, region: options.aws.region, endpoint: options.aws.url },
    tokenReuse: { enabled: options.tokenReuse },
  },
  policy: { file: options.policyFile, watch: false },
  rateLimit: { perPrincipal: { points: 1_000_000, durationSec: 60 } },
  audit: { sink: "jsonl", file: join(options.dataDir, `audit-${options.port}`, "audit.jsonl") },
  aws: { region: options.aws.region, endpoint: options.aws.url },
  logLevel: "silent",
});
const server = await startServer(config, { logger: pino({ level: "silent" }) });
benchChild(() => server.close()).ready({ url: brokerUrl, mcpUrl: `${brokerUrl}/mcp` });
