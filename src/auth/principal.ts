/** Who is calling, as every layer after authentication sees it. Never carries the credential itself. */
export interface Principal {
  /** Stable subject: the IdP `sub` for OIDC, `svc:<name>` style for API keys. */
  sub: string;
  email?: string;
  /** IdP groups (or the groups an API key record grants); used by the policy engine. */
  groups: string[];
  via: "oidc" | "api-key";
  /** OAuth client that obtained the token (`client_id`/`azp`/`cid`), when the token says so. */
  clientId?: string;
  /** Scopes the credential carries; checked by the HTTP scope guard. */
  scopes: string[];
}
