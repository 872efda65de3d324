/**
 * GitHub's custom media types (`application/vnd.github[.v3][.param][+format]`), parsed from Accept
 * and echoed back in `x-github-media-type` as GitHub does.
 */

export interface GitHubMediaType {
  /** `raw`, `diff`, `patch`, `sha`, `object`, `html`, `text`, `full` … or undefined for plain JSON. */
  param: string | undefined;
  /** `json` unless the Accept header asked for `+something` or a non-JSON param. */
  format: string;
  /** The Accept header used the `v3` version segment. */
  v3: boolean;
}

const VND = /application\/vnd\.github(?:\.(v3))?(?:\.([a-z0-9-]+))?(?:\+([a-z0-9-]+))?/i;

/** Parses the first GitHub vendor media type in an Accept header. */
export function parseGitHubMediaType(accept: string | undefined): GitHubMediaType {
  const match = accept ? VND.exec(accept) : null;
  if (!match) return { param: undefined, format: "json", v3: false };
  const v3 = Boolean(match[1]);
  const rawParam = match[2]?.toLowerCase();
  // `application/vnd.github+json` and `application/vnd.github.v3+json` carry no param.
  const param = rawParam && rawParam !== "json" ? rawParam : undefined;
  return { param, format: match[3]?.toLowerCase() ?? "json", v3 };
}

/** The `x-github-media-type` value GitHub sends back for a parsed media type. */
export function mediaTypeHeader(media: GitHubMediaType): string {
  return media.param ? `github.v3; param=${media.param}; format=${media.format}` : "github.v3; format=json";
}

/** Content-Type for a non-JSON vendor response, e.g. `application/vnd.github.raw; charset=utf-8`. */
export function vendorContentType(media: GitHubMediaType, param: string): string {
  return `application/vnd.github.${media.v3 ? "v3." : ""}${param}; charset=utf-8`;
}
