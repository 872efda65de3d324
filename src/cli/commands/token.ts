import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Command } from "commander";

const DEFAULT_ISSUER = "http://127.0.0.1:8702";
const DEFAULT_RESOURCE = "http://127.0.0.1:8700/mcp";

interface TokenOptions {
  user: string;
  json?: boolean;
  issuer?: string;
  resource?: string;
  scope?: string;
  dataDir: string;
}

/** Reads the issuer and broker resource URL from `<dataDir>/local.json`, tolerating any missing part. */
export async function readLocalStackUrls(dataDir: string): Promise<{ issuer?: string; resource?: string }> {
  let text: string;
  try {
    text = await readFile(path.join(dataDir, "local.json"), "utf8");
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw cause;
  }
  let doc: { idp?: { issuer?: unknown; url?: unknown }; broker?: { resourceUrl?: unknown } };
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error(
      `${path.join(dataDir, "local.json")} is not JSON; delete it or restart \`repogate local\``,
    );
  }
  const str = (v: unknown) => (typeof v === "string" && v.length > 0 ? v : undefined);
  const issuer = str(doc?.idp?.issuer) ?? str(doc?.idp?.url);
  const resource = str(doc?.broker?.resourceUrl);
  return { ...(issuer ? { issuer } : {}), ...(resource ? { resource } : {}) };
}

/** `repogate token`: a dev access token from the local IdP, obtained through the real OAuth flow. */
export function registerTokenCommand(program: Command): void {
  program
    .command("token")
    .description(
      "sign in at the local dev IdP as a seed user (authorization code + PKCE) and print the access token",
    )
    .requiredOption("--user <email>", "email of a dev user from wrangler-free-local/seed/users.yaml")
    .option("--json", "print the whole token response (access_token, id_token, expires_in, ...)")
    .option("--issuer <url>", `dev IdP issuer (default: from <data-dir>/local.json, else ${DEFAULT_ISSUER})`)
    .option(
      "--resource <url>",
      `broker resource URL the token is for (default: from <data-dir>/local.json, else ${DEFAULT_RESOURCE})`,
    )
    .option("--scope <scopes>", "space-separated scopes (default: openid email profile groups mcp:tools)")
    .option("--data-dir <dir>", "local stack data directory", ".repogate")
    .action(async (options: TokenOptions) => {
      const { devLogin, DevLoginError, UnknownDevUserError } = await import(
        "../../../wrangler-free-local/idp/dev-login-client.ts"
      );
      const local = await readLocalStackUrls(options.dataDir);
      try {
        const tokens = await devLogin({
          issuer: options.issuer ?? local.issuer ?? DEFAULT_ISSUER,
          user: options.user,
          resource: options.resource ?? local.resource ?? DEFAULT_RESOURCE,
          ...(options.scope ? { scope: options.scope } : {}),
        });
        process.stdout.write(`${options.json ? JSON.stringify(tokens, null, 2) : tokens.access_token}\n`);
      } catch (error) {
        if (error instanceof UnknownDevUserError || error instanceof DevLoginError) {
          process.stderr.write(`repogate token: ${error.message}\n`);
          process.exitCode = 1;
          return;
        }
        throw error;
      }
    });
}
