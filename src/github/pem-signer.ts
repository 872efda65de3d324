import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { AppJwtSigner, AppJwtSignerDescription } from "./app-jwt-signer.ts";
import { AppJwtSigningError } from "./errors.ts";

/** The PEM key could not be read or is not an RSA private key. */
export class PemKeyError extends AppJwtSigningError {
  constructor(message: string, options?: ErrorOptions) {
    super("PEM_KEY_INVALID", message, options);
  }
}

/** Signs App JWTs locally with an RSA private key held in process memory (development and tests). */
export class PemAppJwtSigner implements AppJwtSigner {
  readonly #key: KeyObject;
  readonly #source: string;
  readonly #publicKeySha256: string;

  /** `pem` is the PEM text (PKCS#1 or PKCS#8); `source` only labels it in `describe()`. */
  constructor(pem: string, source = "inline") {
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: pem, format: "pem" });
    } catch (error) {
      // The parser's message can quote part of the input; keep only its error code.
      const reason = (error as { code?: string }).code ?? "unparseable";
      throw new PemKeyError(`The GitHub App private key (${source}) is not a readable PEM key (${reason}).`);
    }
    if (key.asymmetricKeyType !== "rsa") {
      throw new PemKeyError(
        `The GitHub App private key (${source}) is a ${key.asymmetricKeyType ?? "non-asymmetric"} key; GitHub Apps use RSA keys.`,
      );
    }
    this.#key = key;
    this.#source = source;
    const spki = createPublicKey(key).export({ format: "der", type: "spki" });
    this.#publicKeySha256 = createHash("sha256").update(spki).digest("hex");
  }

  /** Reads the PEM file at `path`. */
  static async fromFile(path: string): Promise<PemAppJwtSigner> {
    let pem: string;
    try {
      pem = await readFile(path, "utf8");
    } catch (error) {
      throw new PemKeyError(
        `Cannot read the GitHub App private key file ${path} (${(error as { code?: string }).code ?? "error"}).`,
      );
    }
    return new PemAppJwtSigner(pem, `file ${path}`);
  }

  async sign(signingInput: string): Promise<Uint8Array> {
    return new Uint8Array(sign("sha256", Buffer.from(signingInput, "utf8"), this.#key));
  }

  describe(): AppJwtSignerDescription {
    return {
      kind: "pem",
      summary: `pem ${this.#source}`,
      keyBits: this.#key.asymmetricKeyDetails?.modulusLength,
      publicKeySha256: this.#publicKeySha256,
    };
  }
}
