/** The App (`integration`) and its installations (`installation`) as GitHub renders them. */
import type { AppDefinition, InstallationDefinition } from "../config/app-config.ts";
import { legacyNodeId, renderSimpleUser } from "./user.ts";

/** `integration` for `GET /app`. */
export function renderApp(
  base: string,
  app: AppDefinition,
  ownerId: number,
  installationsCount: number,
): Record<string, unknown> {
  return {
    id: app.id,
    client_id: app.client_id,
    slug: app.slug,
    node_id: legacyNodeId("Integration", app.id),
    owner: renderSimpleUser(base, { login: app.owner.login, id: ownerId, type: app.owner.type }),
    name: app.name,
    description: app.description,
    external_url: app.external_url,
    html_url: `${base}/apps/${app.slug}`,
    created_at: app.created_at,
    updated_at: app.updated_at,
    permissions: app.permissions,
    events: app.events,
    installations_count: installationsCount,
  };
}

/** `installation` for the installation endpoints. */
export function renderInstallation(
  base: string,
  app: AppDefinition,
  installation: InstallationDefinition,
  accountId: number,
): Record<string, unknown> {
  const account = {
    ...renderSimpleUser(base, {
      login: installation.account.login,
      id: accountId,
      type: installation.account.type,
    }),
    // GitHub's list schema types `account` as user AND enterprise, so the enterprise fields are filled too.
    name: installation.account.login,
    slug: installation.account.login.toLowerCase(),
    created_at: installation.created_at,
    updated_at: installation.created_at,
  };
  const settingsPath =
    installation.account.type === "Organization"
      ? `organizations/${installation.account.login}/settings/installations/${installation.id}`
      : `settings/installations/${installation.id}`;
  return {
    id: installation.id,
    client_id: app.client_id,
    account,
    repository_selection: installation.repository_selection,
    access_tokens_url: `${base}/app/installations/${installation.id}/access_tokens`,
    repositories_url: `${base}/installation/repositories`,
    html_url: `${base}/${settingsPath}`,
    app_id: app.id,
    app_slug: app.slug,
    target_id: accountId,
    target_type: installation.account.type,
    permissions: installation.permissions,
    events: installation.events,
    created_at: installation.created_at,
    updated_at: installation.created_at,
    single_file_name: null,
    has_multiple_single_files: false,
    single_file_paths: [],
    suspended_by: null,
    suspended_at: installation.suspended_at ?? null,
  };
}
