/** Repositories in GitHub's `repository`, `full-repository` and `minimal-repository` shapes. */
import type { RepositoryRecord } from "../store/types.ts";
import { legacyNodeId, renderSimpleUser } from "./user.ts";

/** API URL of a repository on the emulator. */
export function repoApiUrl(base: string, repo: RepositoryRecord): string {
  return `${base}/repos/${repo.owner}/${repo.name}`;
}

/** Web (html) URL of a repository; the emulator stands in for github.com on its own origin. */
export function repoHtmlUrl(base: string, repo: RepositoryRecord): string {
  return `${base}/${repo.owner}/${repo.name}`;
}

/** `minimal-repository`: ids, names, owner and every hypermedia URL. */
export function renderMinimalRepository(base: string, repo: RepositoryRecord): Record<string, unknown> {
  const api = repoApiUrl(base, repo);
  const host = new URL(base).host;
  return {
    id: repo.id,
    node_id: legacyNodeId("Repository", repo.id),
    name: repo.name,
    full_name: repo.fullName,
    owner: renderSimpleUser(base, { login: repo.owner, id: repo.ownerId, type: repo.ownerType }),
    private: repo.private,
    html_url: repoHtmlUrl(base, repo),
    description: repo.description,
    fork: false,
    url: api,
    archive_url: `${api}/{archive_format}{/ref}`,
    assignees_url: `${api}/assignees{/user}`,
    blobs_url: `${api}/git/blobs{/sha}`,
    branches_url: `${api}/branches{/branch}`,
    collaborators_url: `${api}/collaborators{/collaborator}`,
    comments_url: `${api}/comments{/number}`,
    commits_url: `${api}/commits{/sha}`,
    compare_url: `${api}/compare/{base}...{head}`,
    contents_url: `${api}/contents/{+path}`,
    contributors_url: `${api}/contributors`,
    deployments_url: `${api}/deployments`,
    downloads_url: `${api}/downloads`,
    events_url: `${api}/events`,
    forks_url: `${api}/forks`,
    git_commits_url: `${api}/git/commits{/sha}`,
    git_refs_url: `${api}/git/refs{/sha}`,
    git_tags_url: `${api}/git/tags{/sha}`,
    git_url: `git://${host}/${repo.owner}/${repo.name}.git`,
    issue_comment_url: `${api}/issues/comments{/number}`,
    issue_events_url: `${api}/issues/events{/number}`,
    issues_url: `${api}/issues{/number}`,
    keys_url: `${api}/keys{/key_id}`,
    labels_url: `${api}/labels{/name}`,
    languages_url: `${api}/languages`,
    merges_url: `${api}/merges`,
    milestones_url: `${api}/milestones{/number}`,
    notifications_url: `${api}/notifications{?since,all,participating}`,
    pulls_url: `${api}/pulls{/number}`,
    releases_url: `${api}/releases{/id}`,
    ssh_url: `git@${new URL(base).hostname}:${repo.owner}/${repo.name}.git`,
    stargazers_url: `${api}/stargazers`,
    statuses_url: `${api}/statuses/{sha}`,
    subscribers_url: `${api}/subscribers`,
    subscription_url: `${api}/subscription`,
    tags_url: `${api}/tags`,
    teams_url: `${api}/teams`,
    trees_url: `${api}/git/trees{/sha}`,
    hooks_url: `${api}/hooks`,
  };
}

export interface RepositoryFacts {
  /** Main language (largest by bytes), or null. */
  language?: string | null;
  /** Size in KiB. */
  sizeKb?: number;
}

/** `repository`: the minimal shape plus counts, flags and dates (what token and installation listings return). */
export function renderRepository(
  base: string,
  repo: RepositoryRecord,
  facts: RepositoryFacts = {},
): Record<string, unknown> {
  return {
    ...renderMinimalRepository(base, repo),
    clone_url: `${repoHtmlUrl(base, repo)}.git`,
    mirror_url: null,
    svn_url: repoHtmlUrl(base, repo),
    homepage: repo.homepage,
    language: facts.language ?? null,
    forks_count: 0,
    forks: 0,
    stargazers_count: 0,
    watchers_count: 0,
    watchers: 0,
    size: facts.sizeKb ?? 0,
    default_branch: repo.defaultBranch,
    open_issues_count: 0,
    open_issues: 0,
    is_template: false,
    topics: repo.topics,
    has_issues: true,
    has_projects: false,
    has_wiki: false,
    has_pages: false,
    has_downloads: true,
    has_discussions: false,
    archived: false,
    disabled: false,
    visibility: repo.private ? "private" : "public",
    pushed_at: repo.pushedAt,
    created_at: repo.createdAt,
    updated_at: repo.updatedAt,
    permissions: { admin: false, maintain: false, push: false, triage: false, pull: true },
    allow_forking: !repo.private,
    web_commit_signoff_required: false,
    license: null,
  };
}

/** `full-repository` as `GET /repos/{owner}/{repo}` returns it. */
export function renderFullRepository(
  base: string,
  repo: RepositoryRecord,
  facts: RepositoryFacts = {},
): Record<string, unknown> {
  return {
    ...renderRepository(base, repo, facts),
    network_count: 0,
    subscribers_count: 0,
    organization: repo.ownerType === "Organization" ? renderMinimalRepository(base, repo).owner : undefined,
  };
}
