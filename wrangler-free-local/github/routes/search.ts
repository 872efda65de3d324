/**
 * `GET /search/code`: free-text terms plus `repo:`, `org:`, `user:`, `path:`, `extension:`,
 * `language:` qualifiers, over the default branches of the repositories the token may see.
 */
import { Hono } from "hono";
import { allows } from "../auth/installations.ts";
import { requireInstallation, tokenRepositories } from "../http/access.ts";
import type { EmulatorEnv } from "../http/context.ts";
import { notAccessibleByIntegration, validationFailed } from "../http/errors.ts";
import { githubJson } from "../http/json.ts";
import { paginate } from "../http/pagination.ts";
import { baseName, encodePath } from "../render/paths.ts";
import { renderMinimalRepository, repoApiUrl, repoHtmlUrl } from "../render/repository.ts";

const DOCS = "https://docs.github.com/rest/search/search#search-code";

export interface ParsedCodeQuery {
  terms: string[];
  repos: string[];
  owners: string[];
  path?: string;
  extension?: string;
  language?: string;
  filename?: string;
}

/** Splits a search query into terms and qualifiers; quoted phrases stay one term. */
export function parseCodeQuery(q: string): ParsedCodeQuery {
  const parsed: ParsedCodeQuery = { terms: [], repos: [], owners: [] };
  for (const match of q.matchAll(/(\S+?:)?"([^"]*)"|\S+/g)) {
    const token = match[0];
    const qualifier = /^([a-z]+):(.*)$/i.exec(token);
    const value = (qualifier?.[2] ?? "").replace(/^"|"$/g, "");
    switch (qualifier?.[1]?.toLowerCase()) {
      case "repo":
        parsed.repos.push(value.toLowerCase());
        break;
      case "org":
      case "user":
        parsed.owners.push(value.toLowerCase());
        break;
      case "path":
        parsed.path = value.replace(/^\/+/, "");
        break;
      case "extension":
        parsed.extension = value.replace(/^\./, "");
        break;
      case "language":
        parsed.language = value;
        break;
      case "filename":
        parsed.filename = value;
        break;
      case "in":
      case "fork":
      case "size":
      case "is":
        break;
      default: {
        const term = token.replace(/^"|"$/g, "");
        if (term && !["AND", "OR", "NOT"].includes(term)) parsed.terms.push(term);
      }
    }
  }
  return parsed;
}

/** The code search route. */
export function searchRoutes(): Hono<EmulatorEnv> {
  const routes = new Hono<EmulatorEnv>();

  routes.get("/search/code", async (c) => {
    const caller = requireInstallation(c);
    // Searching file contents needs the contents permission, as reading them does.
    if (!allows(caller.token.permissions, "contents", "read")) throw notAccessibleByIntegration(DOCS);
    const q = c.req.query("q") ?? "";
    if (q.trim() === "") {
      throw validationFailed(
        "Validation Failed",
        [{ resource: "Search", field: "q", code: "missing" }],
        DOCS,
      );
    }
    const query = parseCodeQuery(q);
    if (query.terms.length === 0) {
      throw validationFailed(
        "Validation Failed",
        [
          {
            resource: "Search",
            field: "q",
            code: "invalid",
            message: "Must include at least one search term.",
          },
        ],
        DOCS,
      );
    }
    const visible = tokenRepositories(c, caller);
    const hidden = query.repos.filter((name) => !visible.some((r) => r.fullName.toLowerCase() === name));
    if (hidden.length > 0) {
      throw validationFailed(
        "Validation Failed",
        [
          {
            message:
              "The listed users and repositories cannot be searched either because the resources do not exist or you do not have permission to view them.",
            resource: "Search",
            field: "q",
            code: "invalid",
          },
        ],
        DOCS,
      );
    }
    const repositories = visible.filter(
      (r) =>
        (query.repos.length === 0 || query.repos.includes(r.fullName.toLowerCase())) &&
        (query.owners.length === 0 || query.owners.includes(r.owner.toLowerCase())),
    );
    let hits = await c.get("state").store.searchCode({
      terms: query.terms,
      repositories,
      path: query.path,
      extension: query.extension,
      language: query.language,
    });
    if (query.filename) {
      const wanted = query.filename.toLowerCase();
      hits = hits.filter((h) => baseName(h.path).toLowerCase() === wanted);
    }
    const base = c.get("base");
    const withMatches = c.get("media").param === "text-match";
    const items = paginate(c, hits).map((hit) => {
      const repo = hit.repository;
      const path = encodePath(hit.path);
      const item: Record<string, unknown> = {
        name: baseName(hit.path),
        path: hit.path,
        sha: hit.blobSha,
        url: `${repoApiUrl(base, repo)}/contents/${path}?ref=${encodeURIComponent(repo.defaultBranch)}`,
        git_url: `${repoApiUrl(base, repo)}/git/blobs/${hit.blobSha}`,
        html_url: `${repoHtmlUrl(base, repo)}/blob/${encodePath(repo.defaultBranch)}/${path}`,
        repository: renderMinimalRepository(base, repo),
        score: 1,
      };
      if (withMatches) {
        item.text_matches = hit.fragments.map((fragment) => ({
          object_url: item.url,
          object_type: "FileContent",
          property: "content",
          fragment,
          matches: [],
        }));
      }
      return item;
    });
    return githubJson(c, { total_count: hits.length, incomplete_results: false, items });
  });

  return routes;
}
