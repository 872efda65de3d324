/**
 * The one seam between the GitHub App JWT and wherever the App's private key lives: a local PEM
 * file (development) or AWS KMS (production, the key never leaves KMS).
 */

/** What `repogate doctor` and start-up logs may show about a signer: identifiers, never key material. */
export interface AppJwtSignerDescription {
  kind: "pem" | "kms";
  /** Human-readable summary, e.g. `kms key alias/repogate-app (us-east-1)` or `pem file ./app.pem`. */
  summary: string;
  [detail: string]: string | number | boolean | undefined;
}

/** Produces the RS256 signature of a JWT signing input. */
export interface AppJwtSigner {
  /**
   * Signs `base64url(header).base64url(payload)` with RSASSA-PKCS1-v1_5 SHA-256 and returns the raw
   * signature bytes (exactly what a JWS RS256 signature is before base64url encoding).
   */
  sign(signingInput: string): Promise<Uint8Array>;
  /** Identifies the key for diagnostics without revealing it. */
  describe(): AppJwtSignerDescription;
  /**
   * When the key now in use was created (KMS: the key behind the id or alias, asked again on every call, so a
   * rotation that moves the alias shows up). Absent or undefined when the signer cannot know (a PEM file).
   */
  keyCreatedAt?(): Promise<Date | undefined>;
}
