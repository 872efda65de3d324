/** The parts of an RFC 6750 `WWW-Authenticate: Bearer` challenge. */
export interface BearerChallenge {
  resourceMetadataUrl: string;
  scopes: string[];
  error?: "invalid_token" | "invalid_request" | "insufficient_scope";
  errorDescription?: string;
}

// RFC 6750 §3: error_description is limited to %x20-21 / %x23-5B / %x5D-7E (no quote, no backslash).
function quotable(text: string): string {
  return text.replace(/[^\x20-\x7e]|["\\]/g, "'");
}

/** Builds the header value; `resource_metadata` (RFC 9728 §5.1) is always present so discovery can start. */
export function bearerChallenge(challenge: BearerChallenge): string {
  const params: string[] = [];
  if (challenge.error) params.push(`error="${challenge.error}"`);
  if (challenge.error && challenge.errorDescription) {
    params.push(`error_description="${quotable(challenge.errorDescription)}"`);
  }
  if (challenge.scopes.length > 0) params.push(`scope="${quotable(challenge.scopes.join(" "))}"`);
  params.push(`resource_metadata="${quotable(challenge.resourceMetadataUrl)}"`);
  return `Bearer ${params.join(", ")}`;
}
