// Standalone dev IdP:
//   npx tsx wrangler-free-local/idp/main.ts --port 8702 --data-dir .repogate --resource http://127.0.0.1:8700/mcp
import path from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_BROKER_RESOURCE_URL, DEV_IDP_DEFAULT_PORT, startDevIdp } from "./index.ts";

const { values } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: String(DEV_IDP_DEFAULT_PORT) },
    "data-dir": { type: "string", default: ".repogate" },
    resource: { type: "string", multiple: true },
    users: { type: "string" },
  },
});

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`--port must be a port number, got ${values.port}\n`);
  process.exit(2);
}

const idp = await startDevIdp({
  host: values.host,
  port,
  dataDir: path.resolve(values["data-dir"]),
  resourceUrls: values.resource?.length ? values.resource : [DEFAULT_BROKER_RESOURCE_URL],
  ...(values.users ? { usersFile: path.resolve(values.users) } : {}),
});
process.stdout.write(
  `dev IdP listening: issuer ${idp.issuer}\n` +
    `  discovery ${idp.issuer}/.well-known/openid-configuration\n` +
    `  resources ${(values.resource ?? [DEFAULT_BROKER_RESOURCE_URL]).join(", ")}\n` +
    "Press Ctrl-C to stop.\n",
);

const stop = () => {
  idp.close().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`error while stopping: ${(error as Error).message}\n`);
      process.exit(1);
    },
  );
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
