import { createHash } from "node:crypto";
import { DescribeKeyCommand, KMSClient, SignCommand } from "@aws-sdk/client-kms";
import type { AppJwtSigner, AppJwtSignerDescription } from "../github/app-jwt-signer.ts";
import { AppJwtSigningError } from "../github/errors.ts";

/** KMS refused or failed to sign; carries the AWS error name, never the message being signed. */
export class KmsSignError extends AppJwtSigningError {
  readonly awsErrorName: string;
  readonly httpStatus: number | undefined;

  constructor(keyId: string, awsErrorName: string, httpStatus: number | undefined, options?: ErrorOptions) {
    super(
      "KMS_SIGN_FAILED",
      `AWS KMS could not sign the GitHub App JWT with key ${keyId} (${awsErrorName}). ` +
        "Check that the key exists, is enabled, has KeyUsage SIGN_VERIFY with an RSA key spec, and that " +
        "repogate's role may call kms:Sign on it.",
      options,
    );
    this.awsErrorName = awsErrorName;
    this.httpStatus = httpStatus;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), awsErrorName: this.awsErrorName, httpStatus: this.httpStatus };
  }
}

/** KMS could not say when the key was created (only the key-age metric depends on it; signing is unaffected). */
export class KmsDescribeKeyError extends AppJwtSigningError {
  readonly awsErrorName: string;

  constructor(keyId: string, awsErrorName: string, options?: ErrorOptions) {
    super(
      "KMS_DESCRIBE_KEY_FAILED",
      `AWS KMS could not describe the GitHub App key ${keyId} (${awsErrorName}). ` +
        "Allow repogate's role kms:DescribeKey on it, or set metrics.appKeyCreatedAt.",
      options,
    );
    this.awsErrorName = awsErrorName;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), awsErrorName: this.awsErrorName };
  }
}

/** The subset of KMSClient the signer uses, so a caller may inject any configured client. */
export type KmsSendClient = Pick<KMSClient, "send">;

export interface KmsAppJwtSignerOptions {
  /** Key id, key ARN, alias name (`alias/…`) or alias ARN. */
  keyId: string;
  /** An existing client; when absent one is built from `region` and `endpoint`. */
  client?: KmsSendClient;
  region?: string;
  /** A non-AWS endpoint, e.g. the local AWS emulator. */
  endpoint?: string;
  /** Abort a Sign that takes longer than this (all waiting requests share it). Default 10 s. */
  timeoutMs?: number;
  /** Passed through to KMSClient when it is built here (the local emulator accepts any). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/** A DescribeKey (the key-age metric's question) is given up after this long. */
const DESCRIBE_TIMEOUT_MS = 5_000;

/** Signs App JWTs with an RSA key that lives in AWS KMS (`Sign`, RSASSA_PKCS1_V1_5_SHA_256 over a SHA-256 digest). */
export class KmsAppJwtSigner implements AppJwtSigner {
  readonly #client: KmsSendClient;
  readonly #keyId: string;
  readonly #region: string | undefined;
  readonly #endpoint: string | undefined;
  readonly #timeoutMs: number;

  constructor(options: KmsAppJwtSignerOptions) {
    if (!options.keyId)
      throw new AppJwtSigningError("KMS_KEY_ID_MISSING", "A KMS key id or alias is required.");
    this.#keyId = options.keyId;
    this.#region = options.region;
    this.#endpoint = options.endpoint;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#client =
      options.client ??
      new KMSClient({
        ...(options.region ? { region: options.region } : {}),
        ...(options.endpoint ? { endpoint: options.endpoint } : {}),
        ...(options.credentials ? { credentials: options.credentials } : {}),
      });
  }

  async sign(signingInput: string): Promise<Uint8Array> {
    // DIGEST keeps the request small and fixed-size whatever the claims; KMS must not hash it again.
    const digest = createHash("sha256").update(signingInput, "utf8").digest();
    let signature: Uint8Array | undefined;
    try {
      const output = await this.#client.send(
        new SignCommand({
          KeyId: this.#keyId,
          Message: digest,
          MessageType: "DIGEST",
          SigningAlgorithm: "RSASSA_PKCS1_V1_5_SHA_256",
        }),
        // The SDK has no request timeout by default; a hung KMS would hold every request waiting on the JWT.
        { abortSignal: AbortSignal.timeout(this.#timeoutMs) },
      );
      signature = output.Signature;
    } catch (error) {
      const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
      throw new KmsSignError(this.#keyId, e.name ?? "UnknownError", e.$metadata?.httpStatusCode);
    }
    if (!signature || signature.length === 0) {
      throw new KmsSignError(this.#keyId, "EmptySignature", undefined);
    }
    return signature;
  }

  /**
   * The CreationDate of the key the id or alias names now (for an imported key, when it was imported). Asked anew
   * on every call: after `repogate setup rotate-key` moves the alias, the answer is the new key's date.
   */
  async keyCreatedAt(): Promise<Date | undefined> {
    try {
      const output = await this.#client.send(new DescribeKeyCommand({ KeyId: this.#keyId }), {
        abortSignal: AbortSignal.timeout(DESCRIBE_TIMEOUT_MS),
      });
      return output.KeyMetadata?.CreationDate;
    } catch (error) {
      throw new KmsDescribeKeyError(this.#keyId, (error as { name?: string }).name ?? "UnknownError", {
        cause: error,
      });
    }
  }

  describe(): AppJwtSignerDescription {
    const where = [this.#region, this.#endpoint].filter(Boolean).join(", ");
    return {
      kind: "kms",
      summary: `kms key ${this.#keyId}${where ? ` (${where})` : ""}`,
      keyId: this.#keyId,
      region: this.#region,
      endpoint: this.#endpoint,
      signingAlgorithm: "RSASSA_PKCS1_V1_5_SHA_256",
    };
  }
}
