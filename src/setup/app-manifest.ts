/**
 * The GitHub App manifest repogate needs, with a deployment's URLs filled in: read-only contents and metadata,
 * no user authorization, the two installation events for `/github/webhook`. `app-manifest/manifest.json` is the
 * same manifest with example URLs (a test keeps them equal).
 */

/** GitHub's manifest fields that repogate sets. */
export interface GitHubAppManifest {
  name: string;
  url: string;
  description: string;
  public: false;
  hook_attributes: { url: string; active: boolean };
  redirect_url: string;
  default_events: string[];
  default_permissions: Record<string, "read">;
}

/** Least privilege: nothing beyond reading contents (metadata is implied for every App anyway). */
export const APP_PERMISSIONS = { contents: "read", metadata: "read" } as const;
/** What `/github/webhook` handles. */
export const APP_EVENTS = ["installation", "installation_repositories"];

export interface ManifestOptions {
  /** The broker's public base URL (origin): the webhook goes to `<publicUrl>/github/webhook`. */
  publicUrl: string;
  /** Where GitHub sends the admin back with the code (the setup command's local page). */
  redirectUrl: string;
  /** The App's name on GitHub (unique across GitHub). Default `repogate`. */
  name?: string;
}

/** The webhook URL of a deployment. */
export function webhookUrlFor(publicUrl: string): string {
  return `${new URL(publicUrl).origin}/github/webhook`;
}

/** Builds the manifest for one deployment. */
export function buildAppManifest(options: ManifestOptions): GitHubAppManifest {
  const origin = new URL(options.publicUrl).origin;
  return {
    name: options.name ?? "repogate",
    url: origin,
    description:
      "Read-only repository access for Claude Desktop through repogate: SSO-checked, policy-checked, one narrowed token per request.",
    public: false,
    hook_attributes: { url: webhookUrlFor(origin), active: true },
    redirect_url: options.redirectUrl,
    default_events: [...APP_EVENTS],
    default_permissions: { ...APP_PERMISSIONS },
  };
}
