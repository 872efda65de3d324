/**
 * `repogate setup github-app`: the org admin's path from nothing to a working App whose key lives only in KMS.
 * Checks the KMS key first (so a refusal costs nothing), serves the local page, converts GitHub's code, imports
 * the key (PKCS#8, RSA_AES_KEY_WRAP_SHA_256), moves the alias, proves the key with a KMS-signed `GET /app`, stores
 * the secrets and prints (or writes) the config lines.
 */
import type { KeyMetadata } from "@aws-sdk/client-kms";
import {
  aliasTarget,
  checkImportTarget,
  createExternalSigningKey,
  importPrivateKey,
  type KmsImportClient,
  parseAppPrivateKey,
  pointAlias,
} from "../aws/kms-key-import.ts";
import { serveFetch } from "../http/listen.ts";
import { buildAppManifest } from "./app-manifest.ts";
import { renderConfigLines, type SetupSettings, writeConfigSettings } from "./config-lines.ts";
import { SetupError } from "./errors.ts";
import { type AppConversion, convertManifestCode } from "./manifest-conversion.ts";
import { proveAppKey } from "./prove-app-key.ts";
import { createSetupPage } from "./setup-page.ts";
import { putSecret, type SecretsWriterClient } from "./store-secrets.ts";

export interface GitHubAppSetupOptions {
  org: string;
  /** The broker's public base URL. */
  publicUrl: string;
  /** GitHub's web URL (`https://github.com`, or the GHES host). */
  githubUrl: string;
  /** GitHub's REST API root (`https://api.github.com`, GHES `https://HOST/api/v3`). */
  apiUrl: string;
  name?: string;
  kms: KmsImportClient;
  /** The EXTERNAL key to import into (PendingImport); absent with `createKey`. */
  keyId?: string;
  createKey?: boolean;
  alias: string;
  /** Move `alias` even when it points at another Enabled key (by default that is refused: it may be live). */
  replaceAlias?: boolean;
  region: string;
  secrets: SecretsWriterClient;
  /** Secret names: `<prefix>/webhook-secret`, `<prefix>/client-secret`. */
  secretPrefix: string;
  writeConfig?: string;
  host?: string;
  port?: number;
  /** The whole flow must finish within GitHub's hour; default 60 minutes. */
  timeoutMs?: number;
  print: (line: string) => void;
  /** Called with the local page's URL once it listens (the CLI prints it; tests drive a browser to it). */
  onPageReady?: (url: string) => void;
}

/** What a successful run created. */
export interface GitHubAppSetupResult {
  appId: number;
  slug: string;
  clientId: string;
  keyId: string;
  keyArn: string;
  alias: string;
  webhookSecretArn: string | undefined;
  clientSecretArn: string;
  installUrl: string;
  configLines: string[];
}

/** GitHub's API root for a web URL: api.github.com for github.com, `<host>/api/v3` for GHES. */
export function apiUrlForGitHubUrl(githubUrl: string): string {
  const url = new URL(githubUrl);
  if (url.hostname === "github.com") return "https://api.github.com";
  return `${url.origin}/api/v3`;
}

/**
 * Refuses, before anything is created, to move an alias that points at another Enabled key: that key is likely
 * the App key a running deployment signs with, and a new App's key behind the alias would break every mint.
 */
async function refuseLiveAlias(options: GitHubAppSetupOptions, target?: KeyMetadata): Promise<void> {
  if (options.replaceAlias) return;
  const current = await aliasTarget(options.kms, options.alias);
  if (!current || current.KeyId === target?.KeyId || current.KeyState !== "Enabled") return;
  throw new SetupError(
    "KMS_ALIAS_IN_USE",
    `${options.alias} points at KMS key ${current.KeyId}, which is Enabled: it may be the App key a running ` +
      "broker signs with. To replace that App's key use `repogate setup rotate-key`; to set up another App give " +
      "it its own alias with --alias; to move this alias anyway pass --replace-alias.",
  );
}

async function prepareKey(options: GitHubAppSetupOptions): Promise<KeyMetadata> {
  if (options.keyId) {
    const target = await checkImportTarget(options.kms, options.keyId, "RSA_2048");
    await refuseLiveAlias(options, target);
    return target;
  }
  if (!options.createKey) {
    throw new SetupError(
      "KMS_KEY_MISSING",
      "say which KMS key takes the App key: --kms-key <id|arn|alias> (an EXTERNAL RSA_2048 SIGN_VERIFY key, as the " +
        "CDK app creates) or --create-key.",
    );
  }
  await refuseLiveAlias(options);
  const created = await createExternalSigningKey(
    options.kms,
    "RSA_2048",
    `repogate GitHub App key (${options.org})`,
  );
  options.print(
    `Created KMS key ${created.KeyId} (origin EXTERNAL, PendingImport). If this run fails, rerun with --kms-key ${created.KeyId}.`,
  );
  return created;
}

/** Everything after GitHub's redirect; a failure names what exists already and how to finish. */
async function finish(
  options: GitHubAppSetupOptions,
  key: KeyMetadata,
  code: string,
): Promise<GitHubAppSetupResult> {
  const conversion = await convertManifestCode(options.apiUrl, code);
  try {
    return await importAndStore(options, key, conversion);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new SetupError(
      (error as { code?: string }).code ?? "SETUP_INCOMPLETE",
      `The App ${conversion.slug} (id ${conversion.id}, client id ${conversion.client_id}) was created on GitHub, ` +
        `but the setup stopped: ${reason} Nothing holds its key now. To finish without another App: fix the cause, ` +
        `generate a private key on ${options.githubUrl}/organizations/${options.org}/settings/apps/${conversion.slug}, ` +
        "put the appId and clientId above in the config and run `repogate setup rotate-key --pem FILE`; " +
        "generate a new client secret and webhook secret there too. Or delete that App and run this command again.",
    );
  }
}

async function importAndStore(
  options: GitHubAppSetupOptions,
  key: KeyMetadata,
  conversion: AppConversion,
): Promise<GitHubAppSetupResult> {
  const keyId = key.KeyId as string;
  const { key: privateKey, keySpec } = parseAppPrivateKey(conversion.pem);
  if (keySpec !== key.KeySpec) {
    throw new SetupError(
      "KMS_KEY_WRONG_SPEC",
      `GitHub issued an ${keySpec} key but KMS key ${keyId} is ${key.KeySpec}.`,
    );
  }
  await importPrivateKey(options.kms, keyId, privateKey);
  await proveAppKey({
    apiUrl: options.apiUrl,
    appId: conversion.id,
    clientId: conversion.client_id,
    keyId,
    kms: options.kms,
  });
  // Only a key GitHub accepted goes behind the alias the broker signs with.
  await pointAlias(options.kms, options.alias, keyId);
  const webhookSecretArn = conversion.webhook_secret
    ? await putSecret(
        options.secrets,
        `${options.secretPrefix}/webhook-secret`,
        conversion.webhook_secret,
        `GitHub App ${conversion.slug}: webhook secret (X-Hub-Signature-256)`,
      )
    : undefined;
  const clientSecretArn = await putSecret(
    options.secrets,
    `${options.secretPrefix}/client-secret`,
    conversion.client_secret,
    `GitHub App ${conversion.slug}: OAuth client secret`,
  );
  const settings: SetupSettings = {
    apiUrl: options.apiUrl,
    appId: conversion.id,
    clientId: conversion.client_id,
    keyAlias: options.alias,
    region: options.region,
    webhookSecretArn,
    clientSecretArn,
  };
  if (options.writeConfig) await writeConfigSettings(options.writeConfig, settings);
  return {
    appId: conversion.id,
    slug: conversion.slug,
    clientId: conversion.client_id,
    keyId,
    keyArn: key.Arn ?? keyId,
    alias: options.alias,
    webhookSecretArn,
    clientSecretArn,
    installUrl: `${options.githubUrl.replace(/\/+$/, "")}/apps/${conversion.slug}/installations/new`,
    configLines: renderConfigLines(settings),
  };
}

/** Runs the whole setup; resolves once the App works with its key in KMS, or rejects with a SetupError. */
export async function runGitHubAppSetup(options: GitHubAppSetupOptions): Promise<GitHubAppSetupResult> {
  const key = await prepareKey(options);
  let result: GitHubAppSetupResult | undefined;
  let settle: (error?: unknown) => void = () => undefined;
  const done = new Promise<void>((resolve, reject) => {
    settle = (error) => (error === undefined ? resolve() : reject(error));
  });
  const { app } = createSetupPage({
    createUrl: `${options.githubUrl.replace(/\/+$/, "")}/organizations/${encodeURIComponent(options.org)}/settings/apps/new`,
    org: options.org,
    manifest: (origin) =>
      buildAppManifest({
        publicUrl: options.publicUrl,
        redirectUrl: `${origin}/callback`,
        ...(options.name ? { name: options.name } : {}),
      }),
    complete: async (code) => {
      result = await finish(options, key, code);
      return {
        installUrl: result.installUrl,
        summary: [
          `App ${result.slug} (id ${result.appId}), key in KMS ${result.keyId} (${result.alias})`,
          ...result.configLines,
        ],
      };
    },
    onDone: (error) => settle(error),
  });
  const server = await serveFetch(app, { host: options.host ?? "127.0.0.1", port: options.port ?? 0 });
  const timeoutMs = options.timeoutMs ?? 60 * 60_000;
  const timer = setTimeout(
    () =>
      settle(
        new SetupError(
          "SETUP_TIMED_OUT",
          `no answer from GitHub within ${Math.round(timeoutMs / 60_000)} minutes; run the command again.`,
        ),
      ),
    timeoutMs,
  );
  try {
    options.print(`Open ${server.url}/ in your browser and click "Create the App on GitHub".`);
    options.onPageReady?.(server.url);
    await done;
  } finally {
    clearTimeout(timer);
    // Let the final page reach the browser before the listener goes away.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await server.close();
  }
  if (!result) throw new SetupError("SETUP_INCOMPLETE", "the setup ended without a result.");
  return result;
}
