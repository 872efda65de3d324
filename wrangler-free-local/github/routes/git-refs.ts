/**
 * Git references: one (`GET /repos/{o}/{r}/git/ref/{ref}`), all (`/git/refs`), and those that start
 * with a prefix (`/git/matching-refs/{prefix}`, and the older `/git/refs/{ref}` form, which answers
 * one object for a whole ref name and a list for a namespace such as `heads`).
 */
import { Hono } from "hono";
import { repositoryForCaller } from "../http/access.ts";
import type { EmulatorContext, EmulatorEnv } from "../http/context.ts";
import { GitHubApiError } from "../http/errors.ts";
import { githubJson } from "../http/json.ts";
import type { RepositoryRecord } from "../store/types.ts";

const DOCS = {
  ref: "https://docs.github.com/rest/git/refs#get-a-reference",
  matching: "https://docs.github.com/rest/git/refs#list-matching-references",
};

/** The route's repository, for a token that covers it with contents: read (404/403 otherwise). */
function refsRepo(c: EmulatorContext, documentationUrl: string): RepositoryRecord {
  return repositoryForCaller(c, c.req.param("owner") ?? "", c.req.param("repo") ?? "", {
    permission: "contents",
    level: "read",
    documentationUrl,
  });
}

/** A branch or tag as `heads/main`, `tags/v1.0.0` (without `refs/`), and its commit. */
interface NamedRef {
  name: string;
  sha: string;
}

/** Branches then tags, ordered by full ref name as GitHub lists them. */
async function allRefs(c: EmulatorContext, repo: RepositoryRecord): Promise<NamedRef[]> {
  const store = c.get("state").store;
  const [branches, tags] = await Promise.all([store.listBranches(repo), store.listTags(repo)]);
  const refs = [
    ...branches.map((b) => ({ name: `heads/${b.name}`, sha: b.sha })),
    ...tags.map((t) => ({ name: `tags/${t.name}`, sha: t.sha })),
  ];
  return refs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function renderRef(c: EmulatorContext, repo: RepositoryRecord, ref: NamedRef) {
  const base = `${c.get("base")}/repos/${repo.fullName}`;
  return {
    ref: `refs/${ref.name}`,
    node_id: Buffer.from(`04:Ref${repo.id}:refs/${ref.name}`).toString("base64"),
    url: `${base}/git/refs/${ref.name}`,
    // Annotated tags are peeled to their commit here; GitHub answers with the tag object (type "tag").
    object: { type: "commit", sha: ref.sha, url: `${base}/git/commits/${ref.sha}` },
  };
}

/** Reference routes (contents: read, like every git database read). */
export function gitRefRoutes(): Hono<EmulatorEnv> {
  const routes = new Hono<EmulatorEnv>();

  // `heads/<branch>` or `tags/<tag>`; octokit sends the slash encoded (`tags%2Fv1.0.0`), Hono decodes it.
  routes.get("/repos/:owner/:repo/git/ref/:ref{.+}", async (c) => {
    const repo = refsRepo(c, DOCS.ref);
    const name = c.req.param("ref");
    const found = (await allRefs(c, repo)).find((r) => r.name === name);
    if (!found) throw new GitHubApiError(404, "Not Found", { documentationUrl: DOCS.ref });
    return githubJson(c, renderRef(c, repo, found));
  });

  // Every ref whose name starts with the prefix, as text (`heads/fea` finds `heads/feature/x`); none is `[]`.
  const matching = async (c: EmulatorContext) => {
    const repo = refsRepo(c, DOCS.matching);
    const prefix = c.req.param("ref") ?? "";
    const refs = (await allRefs(c, repo)).filter((r) => r.name.startsWith(prefix));
    return githubJson(
      c,
      refs.map((r) => renderRef(c, repo, r)),
    );
  };
  routes.get("/repos/:owner/:repo/git/matching-refs/", matching);
  routes.get("/repos/:owner/:repo/git/matching-refs/:ref{.+}", matching);

  // The list GitHub still serves though its description no longer names it (octokit's fixtures use `/git/refs/`).
  const list = async (c: EmulatorContext) => {
    const repo = refsRepo(c, DOCS.ref);
    return githubJson(
      c,
      (await allRefs(c, repo)).map((r) => renderRef(c, repo, r)),
    );
  };
  routes.get("/repos/:owner/:repo/git/refs", list);
  routes.get("/repos/:owner/:repo/git/refs/", list);

  // The older form: a whole ref name is one object, a namespace (`heads`, `tags`) the refs under it.
  routes.get("/repos/:owner/:repo/git/refs/:ref{.+}", async (c) => {
    const repo = refsRepo(c, DOCS.ref);
    const name = c.req.param("ref").replace(/\/$/, "");
    const refs = await allRefs(c, repo);
    const exact = refs.find((r) => r.name === name);
    if (exact) return githubJson(c, renderRef(c, repo, exact));
    const under = refs.filter((r) => r.name.startsWith(`${name}/`));
    if (under.length === 0) throw new GitHubApiError(404, "Not Found", { documentationUrl: DOCS.ref });
    return githubJson(
      c,
      under.map((r) => renderRef(c, repo, r)),
    );
  });

  return routes;
}
