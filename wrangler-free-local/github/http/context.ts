/** The typed Hono context every emulator route sees, and the shared state behind it. */
import type { KeyObject } from "node:crypto";
import type { Context } from "hono";
import type { AppKeyRing } from "../auth/app-keys.ts";
import type { InstallationDirectory } from "../auth/installations.ts";
import type { IssuedToken, TokenRegistry } from "../auth/token-registry.ts";
import type { GitHubAppConfig, InstallationDefinition } from "../config/app-config.ts";
import type { ManifestCodes } from "../manifest/manifest-codes.ts";
import type { RepoStore } from "../store/types.ts";
import type { WebhookDeliverer } from "../webhooks/webhook-sender.ts";
import type { EmulatorLog } from "./emulator-log.ts";
import type { FaultSwitch } from "./faults.ts";
import type { GitHubMediaType } from "./media-type.ts";
import type { RateLimiter, RateLimitState } from "./rate-limit.ts";

/** Who is calling, as the authentication step decided. */
export type Caller =
  | { kind: "anonymous"; clientKey: string }
  | { kind: "app" }
  | { kind: "installation"; token: IssuedToken; tokenValue: string; installation: InstallationDefinition };

/** Everything the routes share: configuration, data, tokens and the observability handles. */
export interface EmulatorState {
  config: GitHubAppConfig;
  publicKey: KeyObject;
  store: RepoStore;
  installations: InstallationDirectory;
  tokens: TokenRegistry;
  log: EmulatorLog;
  faults: FaultSwitch;
  limiter: RateLimiter;
  limits: ContentLimits;
  /** The App's active private keys (public halves): App JWTs signed by any of them are accepted. */
  appKeys: AppKeyRing;
  /** The App's webhook and its deliveries. */
  webhooks: WebhookDeliverer;
  /** Manifest-flow codes waiting for conversion. */
  manifests: ManifestCodes;
}

/** GitHub's contents API size rules (bytes); configurable so tests need not build 100 MB blobs. */
export interface ContentLimits {
  /** Files up to this size come back inline (base64) in the JSON media type. GitHub: 1 MiB. */
  inlineContentBytes: number;
  /** Files above this are refused with 403 `too_large`. GitHub: 100 MiB. */
  blobApiBytes: number;
}

export type EmulatorEnv = {
  Variables: {
    state: EmulatorState;
    requestId: string;
    /** The emulator's own origin as the client reached it (used in every URL it renders). */
    base: string;
    media: GitHubMediaType;
    caller: Caller;
    rate: RateLimitState | undefined;
    faultApplied: string | undefined;
  };
};

export type EmulatorContext = Context<EmulatorEnv>;
