/**
 * GitHub's error bodies. Every failure a route can produce is a GitHubApiError; one place
 * (the app's onError) turns it into GitHub's JSON shape.
 */

export const DOCS_ROOT = "https://docs.github.com/rest";

export interface ValidationErrorItem {
  resource?: string;
  field?: string;
  code: string;
  message?: string;
}

/** An HTTP error rendered exactly as api.github.com renders it: `{ message, documentation_url, status }`. */
export class GitHubApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly documentationUrl: string;
  readonly errors: ValidationErrorItem[] | undefined;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    message: string,
    options: {
      code?: string;
      documentationUrl?: string;
      errors?: ValidationErrorItem[];
      headers?: Record<string, string>;
    } = {},
  ) {
    super(message);
    this.name = "GitHubApiError";
    this.status = status;
    this.code = options.code ?? `GITHUB_HTTP_${status}`;
    this.documentationUrl = options.documentationUrl ?? DOCS_ROOT;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
  }

  /** The JSON body GitHub sends for this error. */
  toBody(): Record<string, unknown> {
    const body: Record<string, unknown> = { message: this.message, documentation_url: this.documentationUrl };
    if (this.errors) body.errors = this.errors;
    body.status = String(this.status);
    return body;
  }
}

/** 404 `Not Found`: unknown routes, and resources the credentials may not see (GitHub never says 403 for those). */
export function notFound(documentationUrl?: string): GitHubApiError {
  return new GitHubApiError(404, "Not Found", { code: "NOT_FOUND", documentationUrl });
}

/** 401 `Bad credentials`: unknown, expired or revoked token. */
export function badCredentials(): GitHubApiError {
  return new GitHubApiError(401, "Bad credentials", { code: "BAD_CREDENTIALS" });
}

/** 401 with one of GitHub's App JWT messages. */
export function jwtRejected(message: string): GitHubApiError {
  return new GitHubApiError(401, message, { code: "APP_JWT_REJECTED" });
}

/** 403 `Resource not accessible by integration`: the token lacks the permission the endpoint needs. */
export function notAccessibleByIntegration(documentationUrl?: string): GitHubApiError {
  return new GitHubApiError(403, "Resource not accessible by integration", {
    code: "NOT_ACCESSIBLE_BY_INTEGRATION",
    documentationUrl,
  });
}

/** 422 with GitHub's `Validation Failed`-style body. */
export function validationFailed(
  message: string,
  errors?: ValidationErrorItem[],
  documentationUrl?: string,
): GitHubApiError {
  return new GitHubApiError(422, message, { code: "VALIDATION_FAILED", errors, documentationUrl });
}
