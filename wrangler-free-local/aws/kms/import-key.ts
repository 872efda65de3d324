import { createPrivateKey } from "node:crypto";
import {
  CreateAliasCommand,
  CreateKeyCommand,
  GetParametersForImportCommand,
  ImportKeyMaterialCommand,
  type KMSClient,
} from "@aws-sdk/client-kms";
import { wrapKeyMaterial } from "../../../src/aws/kms-key-import.ts";

/** Options for importing an RSA private key into a new EXTERNAL KMS key. */
export interface ImportRsaKeyOptions {
  /** `alias/...` to point at the new key. */
  alias?: string;
  description?: string;
  /** Size of KMS's wrapping key; RSA_4096 by default, as AWS recommends. */
  wrappingKeySpec?: "RSA_2048" | "RSA_3072" | "RSA_4096";
}

/** The KMS key that now holds the imported private key. */
export interface ImportedKmsKey {
  keyId: string;
  keyArn: string;
  keySpec: "RSA_2048" | "RSA_3072" | "RSA_4096";
  alias?: string;
}

/** Thrown when the PEM is not an RSA private key of a size KMS can hold. */
export class UnsupportedImportKeyError extends Error {
  readonly code = "KMS_IMPORT_UNSUPPORTED_KEY";
}

/** RFC 5649 alternative initial value, as AWS documents for RSA_AES_KEY_WRAP. */
/** Client-side wrapping for RSA_AES_KEY_WRAP_SHA_256: the broker's own (the setup commands use it too). */
export const wrapKeyMaterialRsaAes = wrapKeyMaterial;

/**
 * Imports an RSA private key (PEM, PKCS#1 or PKCS#8) into a new KMS key with Origin EXTERNAL and KeyUsage
 * SIGN_VERIFY, following AWS's documented procedure: CreateKey, GetParametersForImport (RSA_AES_KEY_WRAP_SHA_256),
 * wrap the PKCS#8 DER client-side, ImportKeyMaterial (KEY_MATERIAL_DOES_NOT_EXPIRE), then CreateAlias if asked.
 * Works against real KMS and the local emulator alike; the private key never crosses the wire unwrapped.
 */
export async function importRsaKeyIntoKms(
  kms: KMSClient,
  pem: string,
  options: ImportRsaKeyOptions = {},
): Promise<ImportedKmsKey> {
  const privateKey = createPrivateKey(pem);
  const bits = privateKey.asymmetricKeyDetails?.modulusLength;
  if (privateKey.asymmetricKeyType !== "rsa" || (bits !== 2048 && bits !== 3072 && bits !== 4096)) {
    throw new UnsupportedImportKeyError(
      "KMS signing keys can be RSA 2048, 3072 or 4096 bits; the given key is not one of these.",
    );
  }
  const keySpec = `RSA_${bits}` as const;
  const created = await kms.send(
    new CreateKeyCommand({
      KeySpec: keySpec,
      KeyUsage: "SIGN_VERIFY",
      Origin: "EXTERNAL",
      Description: options.description ?? "repogate GitHub App key (imported)",
    }),
  );
  const keyId = created.KeyMetadata?.KeyId;
  const keyArn = created.KeyMetadata?.Arn;
  if (!keyId || !keyArn) throw new Error("CreateKey returned no KeyMetadata");
  const parameters = await kms.send(
    new GetParametersForImportCommand({
      KeyId: keyId,
      WrappingAlgorithm: "RSA_AES_KEY_WRAP_SHA_256",
      WrappingKeySpec: options.wrappingKeySpec ?? "RSA_4096",
    }),
  );
  if (!parameters.PublicKey || !parameters.ImportToken) {
    throw new Error("GetParametersForImport returned no wrapping key or import token");
  }
  const material = privateKey.export({ type: "pkcs8", format: "der" }) as Buffer;
  const encrypted = wrapKeyMaterialRsaAes(material, parameters.PublicKey);
  material.fill(0);
  await kms.send(
    new ImportKeyMaterialCommand({
      KeyId: keyId,
      ImportToken: parameters.ImportToken,
      EncryptedKeyMaterial: encrypted,
      ExpirationModel: "KEY_MATERIAL_DOES_NOT_EXPIRE",
    }),
  );
  if (options.alias) {
    await kms.send(new CreateAliasCommand({ AliasName: options.alias, TargetKeyId: keyId }));
  }
  return { keyId, keyArn, keySpec, ...(options.alias ? { alias: options.alias } : {}) };
}
