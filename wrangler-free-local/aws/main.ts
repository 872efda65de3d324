import { parseArgs } from "node:util";
import { startAwsEmulator } from "./index.ts";

/** Runs the AWS emulator alone: `npx tsx wrangler-free-local/aws/main.ts --port 8703 --data-dir .repogate`. */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      host: { type: "string", default: "127.0.0.1" },
      port: { type: "string", default: "8703" },
      "data-dir": { type: "string", default: ".repogate" },
      region: { type: "string", default: "us-east-1" },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--port must be a port number, got '${values.port}'`);
  }
  const emulator = await startAwsEmulator({
    host: values.host,
    port,
    dataDir: values["data-dir"],
    region: values.region,
  });
  console.log(`AWS emulator (KMS, Secrets Manager, CloudWatch Logs) listening on ${emulator.url}`);
  console.log(`state: ${emulator.state.path}`);
  const stop = async () => {
    await emulator.close();
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((error: unknown) => {
  console.error((error as Error).message);
  process.exit(1);
});
