import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { calculateJwkThumbprint, type JWK } from "jose";
import { z } from "zod";

/** Private signing keys and cookie keys of one dev IdP data directory. */
export interface DevIdpKeys {
  /** RS256 private JWKs (with kid, alg, use) handed to oidc-provider's `jwks` option. */
  jwks: { keys: JWK[] };
  /** Secrets Koa signs the IdP's cookies with. */
  cookieKeys: string[];
}

/** Raised when a key file exists but cannot be used; deleting it makes the IdP generate a new one. */
export class DevIdpKeyFileError extends Error {
  readonly code = "IDP_KEY_FILE_INVALID";
  constructor(file: string, detail: string) {
    super(`dev IdP key file ${file} is unusable (${detail}); delete it to generate new keys`);
    this.name = "DevIdpKeyFileError";
  }
}

const privateRsaJwk = z
  .object({ kty: z.literal("RSA"), kid: z.string().min(1), n: z.string(), e: z.string(), d: z.string() })
  .passthrough();
const jwksFile = z.object({ keys: z.array(privateRsaJwk).min(1) });
const cookieKeysFile = z.object({ keys: z.array(z.string().min(32)).min(1) });

/** The folder under the data directory that holds everything the dev IdP persists. */
export function idpStateDir(dataDir: string): string {
  return path.join(dataDir, "idp");
}

/** Loads `<dataDir>/idp/jwks.json` and `cookie-keys.json`, generating them (mode 0600) on first use. */
export async function loadOrCreateKeys(dataDir: string): Promise<DevIdpKeys> {
  const dir = idpStateDir(dataDir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const jwks = await loadOrCreate(path.join(dir, "jwks.json"), jwksFile, generateSigningJwks);
  const cookies = await loadOrCreate(path.join(dir, "cookie-keys.json"), cookieKeysFile, async () => ({
    keys: [randomBytes(32).toString("base64url")],
  }));
  return { jwks: { keys: jwks.keys as JWK[] }, cookieKeys: cookies.keys };
}

async function generateSigningJwks(): Promise<{ keys: JWK[] }> {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = privateKey.export({ format: "jwk" }) as JWK;
  const kid = await calculateJwkThumbprint({ kty: "RSA", n: jwk.n, e: jwk.e });
  return { keys: [{ ...jwk, kid, alg: "RS256", use: "sig" }] };
}

async function loadOrCreate<T>(
  file: string,
  schema: z.ZodType<T>,
  create: () => Promise<unknown>,
): Promise<T> {
  const existing = await readJsonIfPresent(file);
  if (existing !== undefined) {
    const parsed = schema.safeParse(existing);
    if (!parsed.success) throw new DevIdpKeyFileError(file, parsed.error.issues[0]?.message ?? "bad shape");
    return parsed.data;
  }
  const created = schema.parse(await create());
  try {
    // "wx": two processes starting on the same data dir must not overwrite each other's keys.
    await writeFile(file, `${JSON.stringify(created, null, 2)}\n`, { mode: 0o600, flag: "wx" });
    return created;
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== "EEXIST") throw cause;
    return await loadOrCreate(file, schema, create);
  }
}

async function readJsonIfPresent(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw cause;
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new DevIdpKeyFileError(file, "not JSON");
  }
}
