import {
  constants,
  createDecipheriv,
  createPrivateKey,
  type KeyObject,
  privateDecrypt,
  randomBytes,
} from "node:crypto";
import type { RequestInput } from "../input.ts";
import type { OperationContext } from "../operation.ts";
import { AwsServiceError, epochSeconds } from "../protocol.ts";
import { generateRsaPrivateKeyPem, keyMaterialId, publicKeyDerBase64 } from "./keys.ts";
import {
  type ExpirationModel,
  RSA_KEY_SPECS,
  type RsaKeySpec,
  resolveKey,
  rsaBits,
  type StoredKey,
} from "./model.ts";

export const WRAPPING_ALGORITHMS = [
  "RSAES_PKCS1_V1_5",
  "RSAES_OAEP_SHA_1",
  "RSAES_OAEP_SHA_256",
  "RSA_AES_KEY_WRAP_SHA_1",
  "RSA_AES_KEY_WRAP_SHA_256",
  "SM2PKE",
] as const;
const WRAPPING_KEY_SPECS = ["RSA_2048", "RSA_3072", "RSA_4096", "SM2"] as const;
const EXPIRATION_MODELS = ["KEY_MATERIAL_EXPIRES", "KEY_MATERIAL_DOES_NOT_EXPIRE"] as const;
const IMPORT_VALIDITY_MS = 24 * 60 * 60 * 1000;
/** RFC 5649 alternative initial value, the one AWS documents for RSA_AES_KEY_WRAP. */
const KWP_IV = Buffer.from("A65959A6", "hex");

/**
 * Wrapping key pairs, one per spec and emulator process. AWS makes a new pair per call; reusing one keeps
 * GetParametersForImport fast (RSA 4096 generation takes seconds) and changes nothing a client can observe, since
 * every call still gets its own import token bound to its KMS key.
 */
const wrappingKeys = new Map<RsaKeySpec, Promise<string>>();

function wrappingKeyPem(spec: RsaKeySpec): Promise<string> {
  let pem = wrappingKeys.get(spec);
  if (!pem) {
    pem = generateRsaPrivateKeyPem(spec);
    wrappingKeys.set(spec, pem);
  }
  return pem;
}

function requireExternal(key: StoredKey): void {
  if (key.origin !== "EXTERNAL") {
    throw new AwsServiceError(
      "UnsupportedOperationException",
      `${key.arn} origin is ${key.origin} which is not valid for this operation.`,
    );
  }
}

function pruneExpiredParameters(context: OperationContext): void {
  const parameters = context.store.state.kms.importParameters;
  for (const [token, set] of Object.entries(parameters)) {
    if (set.validTo <= context.now()) {
      delete parameters[token];
      context.changed();
    }
  }
}

/** GetParametersForImport: a wrapping public key (DER SPKI) and an import token, valid for 24 hours. */
export async function getParametersForImport(
  input: RequestInput,
  context: OperationContext,
): Promise<unknown> {
  const keyIdParam = input.string("KeyId", { min: 1, max: 2048 });
  const wrappingAlgorithm = input.enumValue("WrappingAlgorithm", WRAPPING_ALGORITHMS);
  const wrappingKeySpec = input.enumValue("WrappingKeySpec", WRAPPING_KEY_SPECS);
  const key = resolveKey(context, keyIdParam, false);
  requireExternal(key);
  if (wrappingAlgorithm === "RSAES_PKCS1_V1_5") {
    throw new AwsServiceError(
      "ValidationException",
      "The RSAES_PKCS1_V1_5 wrapping algorithm is no longer supported. Use RSA_AES_KEY_WRAP_SHA_256 or RSAES_OAEP_SHA_256.",
    );
  }
  if (wrappingAlgorithm === "SM2PKE" || wrappingKeySpec === "SM2") {
    throw new AwsServiceError(
      "UnsupportedOperationException",
      "SM2 wrapping is only available in China Regions.",
    );
  }
  pruneExpiredParameters(context);
  const pem = await wrappingKeyPem(wrappingKeySpec as RsaKeySpec);
  const token = randomBytes(64).toString("base64");
  const validTo = context.now() + IMPORT_VALIDITY_MS;
  context.store.state.kms.importParameters[token] = {
    keyId: key.keyId,
    wrappingAlgorithm,
    wrappingKeySpec: wrappingKeySpec as RsaKeySpec,
    wrappingPrivateKeyPem: pem,
    validTo,
  };
  context.changed();
  return {
    KeyId: key.arn,
    ImportToken: token,
    PublicKey: publicKeyDerBase64(pem),
    ParametersValidTo: epochSeconds(validTo),
  };
}

function invalidCiphertext(): AwsServiceError {
  return new AwsServiceError(
    "InvalidCiphertextException",
    "The encrypted key material could not be decrypted with the wrapping key of this import token.",
  );
}

function oaepDecrypt(wrappingKey: KeyObject, oaepHash: "sha1" | "sha256", data: Buffer): Buffer {
  try {
    return privateDecrypt({ key: wrappingKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash }, data);
  } catch {
    throw invalidCiphertext();
  }
}

/**
 * Undoes the documented RSA_AES_KEY_WRAP procedure: the first (wrapping key bytes) bytes are the RSA-OAEP encrypted
 * AES key, the rest is the key material under AES key wrap with padding (RFC 5649).
 */
function unwrapRsaAes(
  wrappingKey: KeyObject,
  oaepHash: "sha1" | "sha256",
  blob: Buffer,
  wrappingBits: number,
): Buffer {
  const rsaLength = wrappingBits / 8;
  if (blob.length <= rsaLength) throw invalidCiphertext();
  const aesKey = oaepDecrypt(wrappingKey, oaepHash, blob.subarray(0, rsaLength));
  const cipher = { 16: "id-aes128-wrap-pad", 24: "id-aes192-wrap-pad", 32: "id-aes256-wrap-pad" }[
    aesKey.length
  ];
  if (!cipher) throw invalidCiphertext();
  try {
    const decipher = createDecipheriv(cipher, aesKey, KWP_IV);
    return Buffer.concat([decipher.update(blob.subarray(rsaLength)), decipher.final()]);
  } catch {
    throw invalidCiphertext();
  }
}

function incorrectMaterial(detail: string): AwsServiceError {
  return new AwsServiceError(
    "IncorrectKeyMaterialException",
    `The key material in the request is invalid or is not the key material previously imported into this KMS key: ${detail}`,
  );
}

/** ImportKeyMaterial: unwraps an RSA private key (PKCS#8 DER) and installs it in an EXTERNAL key. */
export function importKeyMaterial(input: RequestInput, context: OperationContext): unknown {
  const keyIdParam = input.string("KeyId", { min: 1, max: 2048 });
  const token = input.blob("ImportToken", { min: 1, max: 6144 }).toString("base64");
  const encrypted = input.blob("EncryptedKeyMaterial", { min: 1, max: 6144 });
  const validToSeconds = input.optionalNumber("ValidTo");
  const requestedModel = input.optionalEnum("ExpirationModel", EXPIRATION_MODELS);
  input.optionalEnum("ImportType", ["NEW_KEY_MATERIAL", "EXISTING_KEY_MATERIAL"] as const);
  const key = resolveKey(context, keyIdParam, false);
  requireExternal(key);
  const expirationModel: ExpirationModel =
    requestedModel ??
    (validToSeconds === undefined ? "KEY_MATERIAL_DOES_NOT_EXPIRE" : "KEY_MATERIAL_EXPIRES");
  if (expirationModel === "KEY_MATERIAL_EXPIRES" && validToSeconds === undefined) {
    throw new AwsServiceError(
      "ValidationException",
      "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES",
    );
  }
  if (expirationModel === "KEY_MATERIAL_DOES_NOT_EXPIRE" && validToSeconds !== undefined) {
    throw new AwsServiceError(
      "ValidationException",
      "A validTo date cannot be set if the ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE",
    );
  }
  const parameters = context.store.state.kms.importParameters[token];
  if (!parameters || parameters.keyId !== key.keyId) {
    throw new AwsServiceError("InvalidImportTokenException", "The import token is invalid for this KMS key.");
  }
  if (parameters.validTo <= context.now()) {
    throw new AwsServiceError("ExpiredImportTokenException", "The import token has expired.");
  }
  if (parameters.wrappingAlgorithm.startsWith("RSAES_OAEP_")) {
    // AWS: "To import an RSA private key, you must use an RSA_AES wrapping algorithm."
    throw new AwsServiceError(
      "ValidationException",
      `The ${parameters.wrappingAlgorithm} wrapping algorithm cannot wrap RSA private key material; use RSA_AES_KEY_WRAP_SHA_256 or RSA_AES_KEY_WRAP_SHA_1.`,
    );
  }
  const wrappingKey = createPrivateKey(parameters.wrappingPrivateKeyPem);
  const oaepHash = parameters.wrappingAlgorithm.endsWith("SHA_1") ? "sha1" : "sha256";
  const material = unwrapRsaAes(wrappingKey, oaepHash, encrypted, rsaBits(parameters.wrappingKeySpec));
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: material, format: "der", type: "pkcs8" });
  } catch {
    throw incorrectMaterial("it is not a PKCS#8 DER private key.");
  }
  const bits = privateKey.asymmetricKeyDetails?.modulusLength;
  if (privateKey.asymmetricKeyType !== "rsa" || !RSA_KEY_SPECS.includes(`RSA_${bits}` as RsaKeySpec)) {
    throw incorrectMaterial("it is not an RSA private key of a supported size.");
  }
  if (`RSA_${bits}` !== key.keySpec) {
    throw incorrectMaterial(`it is an RSA ${bits}-bit key but the KMS key spec is ${key.keySpec}.`);
  }
  const privateKeyPem = privateKey.export({ type: "pkcs8", format: "pem" }) as string;
  const publicKeyDer = publicKeyDerBase64(privateKeyPem);
  if (key.publicKeyDer && key.publicKeyDer !== publicKeyDer) {
    throw incorrectMaterial("a KMS key can only ever hold the key material first imported into it.");
  }
  key.privateKeyPem = privateKeyPem;
  key.publicKeyDer = publicKeyDer;
  key.keyMaterialId = keyMaterialId(publicKeyDer);
  key.keyState = "Enabled";
  key.enabled = true;
  key.expirationModel = expirationModel;
  if (validToSeconds !== undefined) key.validTo = validToSeconds * 1000;
  else delete key.validTo;
  context.changed();
  return { KeyId: key.arn, KeyMaterialId: key.keyMaterialId };
}
