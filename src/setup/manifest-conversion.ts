/**
 * `POST /app-manifests/{code}/conversions`: trades the manifest flow's one-time code for the new App, its private
 * key (PKCS#1 PEM) and its secrets. The result stays in memory; nothing of it is logged or written here.
 */
import { z } from "zod";
import { SetupError } from "./errors.ts";

const conversionSchema = z.object({
  id: z.number().int().positive(),
  slug: z.string().min(1),
  name: z.string().min(1),
  client_id: z.string().min(1),
  client_secret: z.string().min(1),
  webhook_secret: z.string().min(1).nullable(),
  pem: z.string().includes("PRIVATE KEY"),
  html_url: z.string().optional(),
  owner: z.object({ login: z.string() }).nullable().optional(),
});

/** The new App as the conversion returns it. */
export type AppConversion = z.infer<typeof conversionSchema>;

/** Converts the code; a used, unknown or expired code is SetupError MANIFEST_CODE_INVALID. */
export async function convertManifestCode(
  apiUrl: string,
  code: string,
  options: { userAgent?: string; timeoutMs?: number } = {},
): Promise<AppConversion> {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(code)) {
    throw new SetupError("MANIFEST_CODE_INVALID", "GitHub's redirect carried a malformed code; start again.");
  }
  const url = `${apiUrl.replace(/\/+$/, "")}/app-manifests/${code}/conversions`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: {
        accept: "application/vnd.github+json",
        "x-github-api-version": "2022-11-28",
        "user-agent": options.userAgent ?? "repogate-setup",
      },
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
  } catch (error) {
    throw new SetupError(
      "GITHUB_UNREACHABLE",
      `GitHub could not be reached at ${apiUrl} (${(error as Error).message}): check --api-url / --github-url and ` +
        "the network, then run the command again (the code stays valid for an hour from the redirect).",
    );
  }
  if (response.status === 404 || response.status === 422) {
    await response.body?.cancel();
    throw new SetupError(
      "MANIFEST_CODE_INVALID",
      "GitHub refused the code: it expired (codes last one hour) or was used already. Run " +
        "`repogate setup github-app` again and click Create once more; if an earlier attempt did create an App, " +
        "delete it in the organization's settings (Developer settings → GitHub Apps) or give the new App another --name.",
    );
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new SetupError(
      "MANIFEST_CONVERSION_FAILED",
      `GitHub answered ${response.status} to the manifest conversion; try again in a minute (the code is valid for an hour).`,
    );
  }
  const parsed = conversionSchema.safeParse(await response.json().catch(() => undefined));
  if (!parsed.success) {
    throw new SetupError(
      "MANIFEST_CONVERSION_FAILED",
      "GitHub's conversion response is missing the App id, client id, secrets or key; nothing was stored.",
    );
  }
  return parsed.data;
}
