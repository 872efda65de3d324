import { KmsAppJwtSigner, type KmsSendClient } from "../aws/kms-signer.ts";
import type { AppJwtSigner } from "./app-jwt-signer.ts";
import { PemAppJwtSigner } from "./pem-signer.ts";

/** The `github.signer` section of the config (src/config/schema.ts). */
export type AppJwtSignerConfig =
  | { type: "pem"; privateKeyPath: string }
  | { type: "kms"; keyId: string; region?: string | undefined; endpoint?: string | undefined };

/** Builds the configured signer: a PEM file read once at start-up, or a KMS key (default AWS credential chain unless given). */
export async function createAppJwtSigner(
  config: AppJwtSignerConfig,
  aws: { client?: KmsSendClient; credentials?: { accessKeyId: string; secretAccessKey: string } } = {},
): Promise<AppJwtSigner> {
  if (config.type === "pem") return PemAppJwtSigner.fromFile(config.privateKeyPath);
  return new KmsAppJwtSigner({
    keyId: config.keyId,
    ...(config.region ? { region: config.region } : {}),
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(aws.client ? { client: aws.client } : {}),
    ...(aws.credentials ? { credentials: aws.credentials } : {}),
  });
}
