/** Users and organizations as GitHub's `simple-user` schema renders them. */

export interface AccountRef {
  login: string;
  id: number;
  type: "Organization" | "User" | "Bot";
}

/** GitHub's legacy global node id: base64 of `<len>:<Type><id>`. */
export function legacyNodeId(type: string, id: number | string): string {
  const body = `${type}${id}`;
  return Buffer.from(`0${type.length}:${body}`).toString("base64");
}

/** `simple-user` for an account, with API URLs on the emulator's base URL. */
export function renderSimpleUser(base: string, account: AccountRef): Record<string, unknown> {
  const api = `${base}/users/${account.login}`;
  return {
    login: account.login,
    id: account.id,
    node_id: legacyNodeId(account.type === "Organization" ? "Organization" : "User", account.id),
    avatar_url: `${base}/_emulator/avatars/${account.id}`,
    gravatar_id: "",
    url: api,
    html_url: `${base}/${account.login}`,
    followers_url: `${api}/followers`,
    following_url: `${api}/following{/other_user}`,
    gists_url: `${api}/gists{/gist_id}`,
    starred_url: `${api}/starred{/owner}{/repo}`,
    subscriptions_url: `${api}/subscriptions`,
    organizations_url: `${api}/orgs`,
    repos_url: `${api}/repos`,
    events_url: `${api}/events{/privacy}`,
    received_events_url: `${api}/received_events`,
    type: account.type,
    user_view_type: "public",
    site_admin: false,
  };
}
