/**
 * The GitHub REST API emulator: an HTTP server that answers like api.github.com for everything
 * repogate uses, backed by seeded git repositories, so unmodified octokit clients work against it.
 */
import type { KeyObject } from "node:crypto";
import { join } from "node:path";
import { Hono } from "hono";
import { listen } from "../service.ts";
import { AppKeyRing } from "./auth/app-keys.ts";
import { InstallationDirectory } from "./auth/installations.ts";
import { type TokenFormat, TokenRegistry } from "./auth/token-registry.ts";
import { defaultSeedDir, type GitHubAppConfig, loadAppConfig } from "./config/app-config.ts";
import { ensureAppKey } from "./config/app-key.ts";
import type { ContentLimits, EmulatorEnv, EmulatorState } from "./http/context.ts";
import { EmulatorLog } from "./http/emulator-log.ts";
import { GitHubApiError, notFound } from "./http/errors.ts";
import { FaultSwitch } from "./http/faults.ts";
import { JSON_CONTENT_TYPE } from "./http/json.ts";
import { authenticate, CONTROL_PREFIX, injectFaults, observe, primaryRateLimit } from "./http/pipeline.ts";
import { defaultRateLimits, RateLimiter, type RateLimitSettings } from "./http/rate-limit.ts";
import { ManifestCodes } from "./manifest/manifest-codes.ts";
import { GITHUB_CONTENT_LIMITS } from "./render/content.ts";
import { appRoutes } from "./routes/app.ts";
import { appHookRoutes } from "./routes/app-hook.ts";
import { commitRoutes } from "./routes/commits.ts";
import { contentRoutes } from "./routes/contents.ts";
import { controlRoutes } from "./routes/control.ts";
import { controlAppRoutes } from "./routes/control-app.ts";
import { installationTokenRoutes } from "./routes/installation-tokens.ts";
import { manifestRoutes } from "./routes/manifest.ts";
import { rateLimitRoutes } from "./routes/rate-limit.ts";
import { repositoryRoutes } from "./routes/repos.ts";
import { searchRoutes } from "./routes/search.ts";
import { writeRoutes } from "./routes/writes.ts";
import { createRepoStore, RepoStoreError } from "./store/index.ts";
import type { RepoStore } from "./store/types.ts";
import { WebhookDeliverer, type WebhookHookConfig } from "./webhooks/webhook-sender.ts";

export { appPrivateKeyPath } from "./config/app-key.ts";
export type { EmulatorLog, MintLogEntry, RequestLogEntry, RevocationLogEntry } from "./http/emulator-log.ts";
export { tokenFingerprint } from "./http/emulator-log.ts";
export type { ActiveFault, FaultInput, FaultSwitch } from "./http/faults.ts";
export type { DeliveryRecord, WebhookHookConfig } from "./webhooks/webhook-sender.ts";

export interface GitHubEmulatorAppOptions {
  config: GitHubAppConfig;
  /** Public half of the App key: App JWTs are verified against it. */
  publicKey: KeyObject;
  store: RepoStore;
  rateLimits?: Partial<RateLimitSettings>;
  /** Contents API size rules; GitHub's (1 MiB inline, 100 MiB max) by default. */
  contentLimits?: Partial<ContentLimits>;
  /** Installation token shape: `classic` (default, `ghs_` + 36) or `stateless` (`ghs_<appId>_<JWT>`). */
  tokenFormat?: TokenFormat;
  /** The App's webhook: installation changes made through the control API are delivered there, signed. */
  webhook?: WebhookHookConfig;
}

export interface GitHubEmulatorApp {
  app: Hono<EmulatorEnv>;
  state: EmulatorState;
}

/** Builds the emulator's Hono app (no listening socket); tests and the stack runner share it. */
export function createGitHubEmulatorApp(options: GitHubEmulatorAppOptions): GitHubEmulatorApp {
  const state: EmulatorState = {
    config: options.config,
    publicKey: options.publicKey,
    store: options.store,
    installations: new InstallationDirectory(options.config, options.store),
    tokens: new TokenRegistry({ format: options.tokenFormat, appId: options.config.app.id }),
    log: new EmulatorLog(),
    faults: new FaultSwitch(),
    limiter: new RateLimiter({ ...defaultRateLimits, ...options.rateLimits }),
    limits: { ...GITHUB_CONTENT_LIMITS, ...options.contentLimits },
    appKeys: new AppKeyRing(options.publicKey),
    webhooks: new WebhookDeliverer(options.webhook),
    manifests: new ManifestCodes(),
  };
  const app = new Hono<EmulatorEnv>();
  app.use("*", observe(state));
  app.route(CONTROL_PREFIX, controlRoutes());
  app.route(CONTROL_PREFIX, controlAppRoutes());
  app.use("*", async (c, next) => {
    // The control API sits outside GitHub's auth, rate limits and faults.
    if (new URL(c.req.url).pathname.startsWith(`${CONTROL_PREFIX}/`)) return next();
    return authenticate()(c, async () => {
      await primaryRateLimit()(c, async () => {
        await injectFaults()(c, next);
      });
    });
  });
  app.route("/", appRoutes());
  app.route("/", installationTokenRoutes());
  app.route("/", repositoryRoutes());
  app.route("/", commitRoutes());
  app.route("/", contentRoutes());
  app.route("/", searchRoutes());
  app.route("/", rateLimitRoutes());
  app.route("/", writeRoutes());
  app.route("/", manifestRoutes());
  app.route("/", appHookRoutes());
  app.notFound((c) =>
    c.body(JSON.stringify(notFound().toBody()), 404, { "content-type": JSON_CONTENT_TYPE }),
  );
  app.onError((err, c) => {
    if (err instanceof GitHubApiError) {
      return c.body(JSON.stringify(err.toBody()), err.status as 400, {
        ...err.headers,
        "content-type": JSON_CONTENT_TYPE,
      });
    }
    // Refs and paths git refuses are simply not there, as far as a GitHub client can tell.
    if (err instanceof RepoStoreError && err.code === "INVALID_REF") {
      return c.body(JSON.stringify(notFound().toBody()), 404, { "content-type": JSON_CONTENT_TYPE });
    }
    // Unexpected failures answer like GitHub's 500 without leaking internals to the client.
    console.error("github emulator: unhandled error", err);
    return c.body(
      JSON.stringify({
        message: "Server Error",
        documentation_url: "https://docs.github.com/rest",
        status: "500",
      }),
      500,
      { "content-type": JSON_CONTENT_TYPE },
    );
  });
  return { app, state };
}

export interface StartGitHubEmulatorOptions {
  host?: string;
  /** 0 (default) picks a free port; the local stack uses 8701. */
  port?: number;
  /** Data directory (`.repogate` by default in the CLI): holds the App key and the built repositories. */
  dataDir: string;
  /** Seed directory with `github-app.yaml` and `repos/` (default: wrangler-free-local/seed). */
  seedDir?: string;
  rateLimits?: Partial<RateLimitSettings>;
  contentLimits?: Partial<ContentLimits>;
  tokenFormat?: TokenFormat;
  webhook?: WebhookHookConfig;
}

export interface RunningGitHubEmulator {
  name: "github";
  url: string;
  port: number;
  close(): Promise<void>;
  app: { id: number; clientId: string; slug: string; privateKeyPath: string };
  log: EmulatorLog;
  faults: FaultSwitch;
  store: RepoStore;
  /** Hono app and shared state, for in-process inspection. */
  state: EmulatorState;
}

/** Loads config, key and repositories, then serves the emulator on host:port. */
export async function startGitHubEmulator(
  options: StartGitHubEmulatorOptions,
): Promise<RunningGitHubEmulator> {
  const seedDir = options.seedDir ?? defaultSeedDir;
  const config = await loadAppConfig(seedDir);
  const key = await ensureAppKey(options.dataDir);
  const store = await createRepoStore({ seedDir: join(seedDir, "repos"), dataDir: options.dataDir });
  const { app, state } = createGitHubEmulatorApp({
    config,
    publicKey: key.publicKey,
    store,
    rateLimits: options.rateLimits,
    contentLimits: options.contentLimits,
    tokenFormat: options.tokenFormat,
    ...(options.webhook ? { webhook: options.webhook } : {}),
  });
  let service: Awaited<ReturnType<typeof listen>>;
  try {
    service = await listen("github", app, { host: options.host, port: options.port });
  } catch (err) {
    await closeStore(store);
    throw err;
  }
  return {
    name: "github",
    url: service.url,
    port: service.port,
    close: async () => {
      await service.close();
      await closeStore(store);
    },
    app: {
      id: config.app.id,
      clientId: config.app.client_id,
      slug: config.app.slug,
      privateKeyPath: key.privateKeyPath,
    },
    log: state.log,
    faults: state.faults,
    store,
    state,
  };
}

async function closeStore(store: RepoStore): Promise<void> {
  const closable = store as RepoStore & { close?: () => Promise<void> };
  if (typeof closable.close === "function") await closable.close();
}
