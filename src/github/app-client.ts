import type { AppOctokit } from "./octokit-clients.ts";

/** The App as GitHub describes it (`GET /app`), the fields repogate reads. */
export interface GitHubAppInfo {
  id: number;
  slug?: string | undefined;
  name: string;
}

/** One installation of the App (`GET /app/installations`), the fields repogate reads. */
export interface GitHubAppInstallation {
  id: number;
  account: { login?: string } | null;
}

/**
 * The only App-level (JWT) calls the rest of repogate may make. The App octokit itself stays inside
 * `src/github/`: through it anyone could mint an installation-wide token without narrowing or audit.
 */
export interface GitHubAppClient {
  /** `GET /app`: who the App is (readiness checks, doctor). */
  getApp(): Promise<GitHubAppInfo>;
  /** `GET /app/installations`, one page of up to 100. */
  listInstallations(page?: number): Promise<GitHubAppInstallation[]>;
  /** `GET /app/hook/config`: where GitHub delivers the App's webhooks (never the secret, which GitHub masks). */
  getWebhookConfig(): Promise<{ url: string | undefined; hasSecret: boolean }>;
}

/** Wraps the App octokit in the two read-only calls the other layers need. */
export function createGitHubAppClient(appOctokit: AppOctokit): GitHubAppClient {
  return {
    async getApp() {
      const { data } = await appOctokit.request("GET /app");
      if (!data) throw new Error("GET /app answered without a body");
      return { id: data.id, slug: data.slug, name: data.name };
    },
    async listInstallations(page = 1) {
      const { data } = await appOctokit.request("GET /app/installations", { per_page: 100, page });
      return data.map((installation) => ({
        id: installation.id,
        account: (installation.account as { login?: string } | null) ?? null,
      }));
    },
    async getWebhookConfig() {
      const { data } = await appOctokit.request("GET /app/hook/config");
      return { url: data.url ?? undefined, hasSecret: typeof data.secret === "string" && data.secret !== "" };
    },
  };
}
