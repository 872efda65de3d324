/**
 * Proves a KMS key is the App's key before anything depends on it: KMS signs an App JWT and GitHub accepts it on
 * `GET /app` (and names the expected App).
 */
import { KmsAppJwtSigner, type KmsSendClient } from "../aws/kms-signer.ts";
import { AppJwtProvider } from "../github/app-jwt.ts";
import { SetupError } from "./errors.ts";

export interface ProveAppKeyOptions {
  apiUrl: string;
  appId: number;
  clientId: string;
  /** The key id or ARN (not an alias still pointing elsewhere). */
  keyId: string;
  kms: KmsSendClient;
  userAgent?: string;
  timeoutMs?: number;
}

/** Signs an App JWT with KMS and calls `GET /app`; resolves with the App's slug or throws a SetupError. */
export async function proveAppKey(options: ProveAppKeyOptions): Promise<{ slug: string | undefined }> {
  const signer = new KmsAppJwtSigner({ keyId: options.keyId, client: options.kms });
  const provider = new AppJwtProvider({ appId: options.appId, clientId: options.clientId, signer });
  let jwt: string;
  try {
    ({ jwt } = await provider.getJwt());
  } catch (error) {
    throw new SetupError(
      "KMS_SIGN_FAILED",
      `KMS could not sign an App JWT with key ${options.keyId} (${(error as { code?: string }).code ?? "error"}): ` +
        "check the key is Enabled and the credentials may call kms:Sign on it.",
    );
  }
  let response: Response;
  try {
    response = await fetch(`${options.apiUrl.replace(/\/+$/, "")}/app`, {
      headers: {
        accept: "application/vnd.github+json",
        authorization: `Bearer ${jwt}`,
        "x-github-api-version": "2022-11-28",
        "user-agent": options.userAgent ?? "repogate-setup",
      },
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
  } catch (error) {
    throw new SetupError(
      "GITHUB_UNREACHABLE",
      `GitHub could not be reached at ${options.apiUrl} to check the key (${(error as Error).message}).`,
    );
  }
  const body = (await response.json().catch(() => ({}))) as {
    id?: unknown;
    slug?: unknown;
    message?: unknown;
  };
  if (!response.ok) {
    throw new SetupError(
      "APP_KEY_REJECTED",
      `GitHub refused the App JWT signed by KMS key ${options.keyId} (${response.status} ${String(body.message ?? "")}): ` +
        "the key in KMS is not a current private key of App " +
        `${options.appId}. Check the App id and that the .pem belongs to this App.`,
    );
  }
  if (body.id !== options.appId) {
    throw new SetupError(
      "APP_KEY_REJECTED",
      `GitHub accepted the JWT but answered for App ${String(body.id)}, not ${options.appId}.`,
    );
  }
  return { slug: typeof body.slug === "string" ? body.slug : undefined };
}
