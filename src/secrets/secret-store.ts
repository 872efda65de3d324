import type { z } from "zod";

/** The version stage Secrets Manager marks the live value with. */
export const CURRENT_STAGE = "AWSCURRENT";
/** The stage a rotation writes the next value to before promoting it. */
export const PENDING_STAGE = "AWSPENDING";
/** The stage Secrets Manager moves the replaced value to when a new one becomes current. */
export const PREVIOUS_STAGE = "AWSPREVIOUS";

/** One version of a named secret: its value (text or bytes) and where it came from. */
export interface SecretValue {
  name: string;
  /** `SecretString` as text, or `SecretBinary` as bytes. */
  value: string | Uint8Array;
  /** The Secrets Manager version id; absent for local secrets. */
  versionId?: string;
  /** The version's stages, e.g. `["AWSCURRENT"]`; local secrets report `["AWSCURRENT"]`. */
  stages: string[];
  /** When this version was created (Secrets Manager); absent for local secrets. */
  createdAt?: Date;
  /** True when Secrets Manager was unreachable and this is the last value read before the outage. */
  stale?: boolean;
}

/** How to read one secret. */
export interface SecretReadOptions {
  /** The version stage to read; `AWSCURRENT` by default. */
  stage?: string;
}

/** Named secrets: Secrets Manager on AWS, a file or environment variables locally. */
export interface SecretStore {
  /** Reads a secret (the `AWSCURRENT` version unless a stage is given); throws SecretStoreError. */
  get(name: string, options?: SecretReadOptions): Promise<SecretValue>;
  /** Reads a text secret holding JSON and validates it with a zod schema. */
  getJson<T>(name: string, schema: z.ZodType<T>, options?: SecretReadOptions): Promise<T>;
  /** Where secrets come from, for logs and `repogate doctor` (no values). */
  describe(): string;
}

/** Stable reasons a secret cannot be read. */
export type SecretStoreErrorCode =
  | "SECRET_NOT_FOUND"
  | "SECRET_ACCESS_DENIED"
  | "SECRET_UNAVAILABLE"
  | "SECRET_STALE_TOO_LONG"
  | "SECRET_INVALID"
  | "SECRET_STORE_INVALID";

/** A secret could not be read or used; the message names the secret and the fix, never its value. */
export class SecretStoreError extends Error {
  readonly code: SecretStoreErrorCode;
  readonly secretName: string | undefined;

  constructor(code: SecretStoreErrorCode, message: string, secretName?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SecretStoreError";
    this.code = code;
    this.secretName = secretName;
  }

  /** What crosses a log boundary: never the cause chain (it may hold request objects). */
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, secretName: this.secretName };
  }
}

/** The text of a secret; a binary secret is an error here because every repogate secret is text. */
export function secretText(secret: SecretValue): string {
  if (typeof secret.value === "string") return secret.value;
  throw new SecretStoreError(
    "SECRET_INVALID",
    `secret ${secret.name} holds binary data but text was expected; store it as SecretString`,
    secret.name,
  );
}

/** Parses a text secret as JSON and validates it; errors name the secret and the field, never the value. */
export function parseJsonSecret<T>(secret: SecretValue, schema: z.ZodType<T>): T {
  let document: unknown;
  try {
    document = JSON.parse(secretText(secret));
  } catch (cause) {
    if (cause instanceof SecretStoreError) throw cause;
    throw new SecretStoreError("SECRET_INVALID", `secret ${secret.name} is not valid JSON`, secret.name);
  }
  const parsed = schema.safeParse(document);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SecretStoreError(
      "SECRET_INVALID",
      `secret ${secret.name}: ${issue?.path.join(".") || "value"}: ${issue?.message ?? "invalid"}`,
      secret.name,
    );
  }
  return parsed.data;
}

/** Gives a store `getJson` on top of its `get`. */
export function withJson(store: Omit<SecretStore, "getJson">): SecretStore {
  return {
    get: (name, options) => store.get(name, options),
    describe: () => store.describe(),
    async getJson(name, schema, options) {
      return parseJsonSecret(await store.get(name, options), schema);
    },
  };
}
