import { getConnInfo, handle } from "hono/aws-lambda";
import { loadConfig } from "./config/index.ts";
import { createRepogate, type Repogate } from "./repogate.ts";

type LambdaHandler = ReturnType<typeof handle>;

/** A Lambda handler and a way to release the broker it built (tests; Lambda itself never calls it). */
export interface RepogateLambda {
  handler: LambdaHandler;
  close(): Promise<void>;
}

/**
 * Lambda freezes the execution environment as soon as the handler returns, so nothing may be left for later:
 * token revocations (which a server runs off the response path), audit events recorded in the background
 * (`auth.fail`, `rate.limit`) and buffered EMF lines would otherwise wait for a next invocation that may never
 * come. A failure here is logged; the response is already decided.
 */
async function settle(repogate: Repogate): Promise<void> {
  await repogate.github.tokens.drain();
  await repogate.audit.flush();
  await repogate.metrics.flush();
}

/**
 * Builds a handler whose broker is created from `env` (`REPOGATE_CONFIG` names the config file, `REPOGATE_*`
 * override single settings, `REPOGATE_SECRET_*` feed the local secret store) on the first invocation, and reused
 * by the next ones in the same execution environment.
 */
export function createLambdaHandler(env: Record<string, string | undefined>): RepogateLambda {
  let instance: Promise<{ repogate: Repogate; run: LambdaHandler }> | undefined;
  const start = () => {
    instance ??= loadConfig({ file: env.REPOGATE_CONFIG, env })
      .then((config) =>
        createRepogate(config, {
          env,
          // API Gateway gives the caller's address in the request context, not on a socket.
          socketAddress: (c) => getConnInfo(c).remote.address,
        }),
      )
      .then((repogate) => ({ repogate, run: handle(repogate.app) }))
      .catch((error: unknown) => {
        instance = undefined; // a failed cold start must not poison every later invocation
        throw error;
      });
    return instance;
  };
  return {
    handler: async (event, context) => {
      const { repogate, run } = await start();
      try {
        return await run(event, context);
      } finally {
        await settle(repogate).catch((error: unknown) =>
          repogate.logger.error(
            { err: error instanceof Error ? error.message : String(error) },
            "could not finish revocations, audit or metrics before the invocation ended",
          ),
        );
      }
    },
    async close() {
      const current = instance;
      instance = undefined;
      if (current) await (await current).repogate.close();
    },
  };
}

/** Lambda entry point (API Gateway HTTP API or REST API, and Lambda function URLs). */
export const handler: LambdaHandler = createLambdaHandler(process.env).handler;
