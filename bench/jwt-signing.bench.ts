/**
 * App JWT signing: one KMS Sign per request versus the cached, single-flight AppJwtProvider, under
 * concurrency, against the local AWS emulator's KMS (real @aws-sdk/client-kms over HTTP) and a PEM key.
 *
 *   npx tsx bench/jwt-signing.bench.ts [--requests 400] [--concurrency 25]
 *
 * Prints one line per strategy and the speed-up ratio; exits non-zero if the cached provider signed
 * more than once per signer (the property the broker relies on).
 */
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { KMSClient } from "@aws-sdk/client-kms";
import { KmsAppJwtSigner } from "../src/aws/kms-signer.ts";
import { AppJwtProvider } from "../src/github/app-jwt.ts";
import type { AppJwtSigner } from "../src/github/app-jwt-signer.ts";
import { PemAppJwtSigner } from "../src/github/pem-signer.ts";
import { startAwsEmulator } from "../wrangler-free-local/aws/index.ts";
import { importRsaKeyIntoKms } from "../wrangler-free-local/aws/kms/import-key.ts";

const { values } = parseArgs({
  options: { requests: { type: "string", default: "400" }, concurrency: { type: "string", default: "25" } },
});
const REQUESTS = Number(values.requests);
const CONCURRENCY = Number(values.concurrency);

/** Runs `REQUESTS` calls of `task` with at most `CONCURRENCY` in flight; returns elapsed ms. */
async function run(task: () => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < REQUESTS) {
        next++;
        await task();
      }
    }),
  );
  return performance.now() - started;
}

interface Row {
  signer: string;
  strategy: string;
  ms: number;
  signs: number;
}

async function measure(label: string, signer: AppJwtSigner, signs: () => number): Promise<Row[]> {
  // Per request: what a broker without the cache would do (a fresh JWT, hence a signature, per request).
  const base = signs();
  const perRequestMs = await run(() => new AppJwtProvider({ appId: 1001, signer }).getJwt());
  const perRequestSigns = signs() - base;
  const cached = new AppJwtProvider({ appId: 1001, signer });
  const mid = signs();
  const cachedMs = await run(() => cached.getJwt());
  const cachedSigns = signs() - mid;
  return [
    { signer: label, strategy: "per-request", ms: perRequestMs, signs: perRequestSigns },
    { signer: label, strategy: "cached", ms: cachedMs, signs: cachedSigns },
  ];
}

const dir = await mkdtemp(join(tmpdir(), "repogate-bench-"));
const aws = await startAwsEmulator({ dataDir: dir, port: 0 });
const kms = new KMSClient({
  region: aws.region,
  endpoint: aws.url,
  credentials: { accessKeyId: "AKIDLOCAL", secretAccessKey: "local-secret" },
});
try {
  const pem = generateKeyPairSync("rsa", { modulusLength: 2048 })
    .privateKey.export({ type: "pkcs8", format: "pem" })
    .toString();
  await importRsaKeyIntoKms(kms, pem, { alias: "alias/bench" });
  let pemSigns = 0;
  const pemSigner = new PemAppJwtSigner(pem);
  const countingPem: AppJwtSigner = {
    sign: (input) => {
      pemSigns++;
      return pemSigner.sign(input);
    },
    describe: () => pemSigner.describe(),
  };
  const rows = [
    ...(await measure(
      "kms (local emulator)",
      new KmsAppJwtSigner({ keyId: "alias/bench", client: kms }),
      () => aws.calls.count("kms", "Sign"),
    )),
    ...(await measure("pem (in process)", countingPem, () => pemSigns)),
  ];
  console.log(`App JWT for ${REQUESTS} requests, ${CONCURRENCY} concurrent`);
  for (const row of rows) {
    console.log(
      `${row.signer.padEnd(22)} ${row.strategy.padEnd(12)} ${row.ms.toFixed(1).padStart(9)} ms  ` +
        `${((REQUESTS / row.ms) * 1000).toFixed(0).padStart(9)} req/s  signatures: ${row.signs}`,
    );
  }
  let failed = false;
  for (const label of new Set(rows.map((r) => r.signer))) {
    const per = rows.find((r) => r.signer === label && r.strategy === "per-request") as Row;
    const cached = rows.find((r) => r.signer === label && r.strategy === "cached") as Row;
    console.log(
      `${label}: cached is ${(per.ms / cached.ms).toFixed(1)}x faster, ${per.signs} vs ${cached.signs} signatures`,
    );
    if (cached.signs !== 1) failed = true;
  }
  if (failed) {
    console.error("FAIL: the cached provider signed more than once");
    process.exitCode = 1;
  }
} finally {
  kms.destroy();
  await aws.close();
  await rm(dir, { recursive: true, force: true });
}
