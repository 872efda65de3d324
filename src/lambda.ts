import { getConnInfo, handle } from "hono/aws-lambda";
import { loadConfig } from "./config/index.ts";
import { createRepogate, type Repogate } from "./repogate.ts";

// One broker per Lambda execution environment: built on the first invocation, reused by the next ones.
let instance: Promise<Repogate> | undefined;

function repogate(): Promise<Repogate> {
  instance ??= loadConfig({ file: process.env.REPOGATE_CONFIG, env: process.env })
    .then((config) =>
      createRepogate(config, {
        // API Gateway gives the caller's address in the request context, not on a socket.
        socketAddress: (c) => getConnInfo(c).remote.address,
      }),
    )
    .catch((error: unknown) => {
      instance = undefined; // a failed cold start must not poison every later invocation
      throw error;
    });
  return instance;
}

/** Lambda entry point (API Gateway HTTP API or REST API, and Lambda function URLs). */
export const handler: ReturnType<typeof handle> = async (event, context) => {
  const { app } = await repogate();
  return handle(app)(event, context);
};
