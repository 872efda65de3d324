/** `repogate setup rotate-key` against a broker config: KMS client, audit trail and the admin's messages. */
import { userInfo } from "node:os";
import { KMSClient } from "@aws-sdk/client-kms";
import { openAuditLogFromConfig } from "../audit/index.ts";
import type { RepogateConfig } from "../config/index.ts";
import { isLoopbackUrl } from "../http/loopback.ts";
import { SetupError } from "./errors.ts";
import { rotateAppKey } from "./rotate-key.ts";

export interface RotateKeyCommandOptions {
  pem: string;
  /** Shown in the closing advice (delete it). */
  pemFile: string;
  alias?: string;
  deletionWindowDays: number;
  /** Whether the admin has AWS credentials; the local emulator is used with placeholders otherwise. */
  hasAwsCredentials: boolean;
}

/** Rotates the key the config signs with; resolves with the lines to print. */
export async function rotateKeyFromConfig(
  config: RepogateConfig,
  options: RotateKeyCommandOptions,
): Promise<string[]> {
  const signer = config.github.signer;
  const alias = options.alias ?? (signer.type === "kms" ? signer.keyId : undefined);
  if (!alias?.startsWith("alias/")) {
    throw new SetupError(
      "KMS_ALIAS_REQUIRED",
      "rotation moves a KMS alias: set github.signer to { type: kms, keyId: alias/… } in the config, or pass --alias.",
    );
  }
  if (!config.github.clientId) {
    throw new SetupError(
      "CLIENT_ID_REQUIRED",
      "set github.clientId in the config (the App's client id, Iv23…).",
    );
  }
  const region = (signer.type === "kms" ? signer.region : undefined) ?? config.aws.region;
  const endpoint = (signer.type === "kms" ? signer.endpoint : undefined) ?? config.aws.endpoint;
  const local = isLoopbackUrl(endpoint);
  const kms = new KMSClient({
    region,
    ...(endpoint ? { endpoint } : {}),
    ...(local && !options.hasAwsCredentials
      ? { credentials: { accessKeyId: "repogate-local-emulator", secretAccessKey: "local-emulator" } }
      : {}),
  });
  // Opened first: a rotation that could not be audited must not happen.
  const audit = await openAuditLogFromConfig(config);
  try {
    const result = await rotateAppKey({
      pem: options.pem,
      apiUrl: config.github.apiUrl,
      appId: config.github.appId,
      clientId: config.github.clientId,
      alias,
      kms,
      deletionWindowDays: options.deletionWindowDays,
      audit: async (event) => {
        await audit.record({
          type: "app.key.rotate",
          principal: { sub: `admin:${userInfo().username}` },
          outcome: "ok",
          details: {
            appId: event.appId,
            alias: event.alias,
            newKeyId: event.newKeyId,
            oldKeyId: event.oldKeyId ?? null,
            oldKeyDeletionDate: event.oldKeyDeletionDate ?? null,
          },
        });
      },
    });
    return [
      `The App key now lives in KMS key ${result.newKeyId}; ${alias} points at it and GitHub accepts its JWTs.`,
      result.oldKeyId
        ? `The old KMS key ${result.oldKeyId} is scheduled for deletion on ${result.oldKeyDeletionDate ?? "?"}.`
        : "There was no previous key behind the alias.",
      "Running brokers sign with the new key from their next App JWT (within 10 minutes); app_key_age_days restarts at 0 with their next update (6 h) or restart.",
      `Now delete ${options.pemFile} (shred -u ${options.pemFile}) and, in the App's settings on GitHub, delete the`,
      "old private key, so only the key in KMS can sign for the App.",
    ];
  } finally {
    await audit.close();
    kms.destroy();
  }
}
