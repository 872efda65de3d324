import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GitHubClients, GitHubRefResolver } from "../../src/github/index.ts";
import {
  checkRef,
  PolicyEngine,
  type RefResolver as PolicyRefResolver,
  parsePolicy,
} from "../../src/policy/index.ts";
import { brokerFor, type GitHubEmulator, recordingCall, useGitHubEmulator } from "./harness.ts";

let github: GitHubEmulator;
let gh: GitHubClients;

useGitHubEmulator("repogate-refs-", (started) => {
  github = started;
});
beforeAll(async () => {
  gh = await brokerFor(github);
});
// Registered after the emulator's own hooks, so (after-hooks running in reverse) it drains before the emulator stops.
afterAll(async () => {
  await gh?.tokens.drain();
});

/** Runs `fn` with a GitHubRefResolver for mycompany/web on a narrowed token, as the policy engine will. */
function withRefs<T>(fn: (refs: GitHubRefResolver) => Promise<T>): Promise<T> {
  return gh.tokens.withToken({ repository: "mycompany/web", operation: "read" }, recordingCall(), (octokit) =>
    fn(new GitHubRefResolver(octokit, "mycompany/web")),
  );
}

async function branchSha(name: string): Promise<string> {
  const repo = github.store.getRepository("mycompany", "web");
  if (!repo) throw new Error("seed repository mycompany/web missing");
  const sha = await github.store.resolveCommit(repo, name);
  if (!sha) throw new Error(`seed ref ${name} missing`);
  return sha;
}

describe("GitHubRefResolver", () => {
  it("reads the default branch once per resolver", async () => {
    await withRefs(async (refs) => {
      expect(await refs.defaultBranch()).toBe("main");
      expect(await refs.defaultBranch()).toBe("main");
    });
    expect(github.log.countRequests({ method: "GET", pathPrefix: "/repos/mycompany/web" })).toBe(1);
  });

  it("classifies branches (with slashes), tags, commits and unknown refs", async () => {
    const mainSha = await branchSha("main");
    const result = await withRefs(async (refs) => ({
      main: await refs.resolveRef("main"),
      slashed: await refs.resolveRef("feature/dark-mode"),
      explicit: await refs.resolveRef("refs/heads/stable"),
      tag: await refs.resolveRef("v1.0.0"),
      explicitTag: await refs.resolveRef("refs/tags/v0.9.0"),
      commit: await refs.resolveRef(mainSha),
      shortCommit: await refs.resolveRef(mainSha.slice(0, 10)),
      missing: await refs.resolveRef("no-such-branch"),
      missingSha: await refs.resolveRef("0000000000000000000000000000000000000000"),
      traversal: await refs.resolveRef("../../othercorp/secret"),
      otherNamespace: await refs.resolveRef("refs/pull/1/head"),
    }));
    expect(result.main).toEqual({ kind: "branch", name: "main", sha: mainSha });
    expect(result.slashed).toMatchObject({ kind: "branch", name: "feature/dark-mode" });
    expect(result.explicit).toMatchObject({ kind: "branch", name: "stable" });
    const web = github.store.getRepository("mycompany", "web");
    if (!web) throw new Error("seed repository mycompany/web is missing");
    const tagSha = (await github.store.listTags(web)).find((t) => t.name === "v1.0.0")?.sha;
    expect(tagSha).toMatch(/^[0-9a-f]{40}$/);
    expect(result.tag).toEqual({ kind: "tag", name: "v1.0.0", sha: tagSha });
    expect(result.explicitTag).toMatchObject({ kind: "tag", name: "v0.9.0" });
    expect(result.commit).toEqual({ kind: "commit", sha: mainSha });
    expect(result.shortCommit).toEqual({ kind: "commit", sha: mainSha });
    expect(result.missing).toEqual({ kind: "unknown", ref: "no-such-branch" });
    expect(result.missingSha.kind).toBe("unknown");
    expect(result.traversal.kind).toBe("unknown");
    expect(result.otherNamespace.kind).toBe("unknown");
    // Invalid refs never reach GitHub.
    expect(github.log.requests.some((r) => r.path.includes("othercorp") || r.path.includes("pull"))).toBe(
      false,
    );
  });

  it("decides reachability through compare: behind or identical is reachable", async () => {
    const main = await branchSha("main");
    const hotfix = await branchSha("hotfix/1.0.1");
    const darkMode = await branchSha("feature/dark-mode");
    const stable = await branchSha("stable");
    const answers = await withRefs(async (refs) => ({
      tipOfMain: await refs.isCommitReachableFrom(main, "main"),
      mergedFeature: await refs.isCommitReachableFrom(darkMode, "main"),
      stableFromMain: await refs.isCommitReachableFrom(stable, "main"),
      hotfixFromMain: await refs.isCommitReachableFrom(hotfix, "main"),
      mainFromStable: await refs.isCommitReachableFrom(main, "stable"),
      unknownSha: await refs.isCommitReachableFrom("0123456789abcdef0123456789abcdef01234567", "main"),
      notASha: await refs.isCommitReachableFrom("main", "main"),
      badBranch: await refs.isCommitReachableFrom(main, "../x"),
    }));
    expect(answers).toEqual({
      tipOfMain: true,
      mergedFeature: true,
      stableFromMain: true,
      hotfixFromMain: false,
      mainFromStable: main === stable,
      unknownSha: false,
      notASha: false,
      badBranch: false,
    });
  });

  it("settles the policy engine's ref checks (checkRef) over the wire", async () => {
    const engine = new PolicyEngine(
      parsePolicy(
        [
          "version: 1",
          "repositories:",
          '  - pattern: "mycompany/web"',
          "    branches: [main, stable]",
          "    operations: [read]",
        ].join("\n"),
      ),
    );
    const principal = { sub: "dev", groups: [] };
    const main = await branchSha("main");
    const hotfix = await branchSha("hotfix/1.0.1");
    const merged = await branchSha("feature/dark-mode");
    const decide = (ref?: string) =>
      withRefs(async (refs) => {
        const resolver: PolicyRefResolver = refs;
        const decision = engine.decide({
          principal,
          repository: "mycompany/web",
          operation: "read",
          ...(ref ? { ref } : {}),
        });
        return decision.refCheckRequired ? checkRef(decision, ref, resolver) : decision;
      });
    expect(await decide()).toMatchObject({ allowed: true, ref: { kind: "default-branch", branch: "main" } });
    expect(await decide("main")).toMatchObject({ allowed: true });
    expect(await decide(merged)).toMatchObject({ allowed: true, ref: { kind: "commit", branch: "main" } });
    expect(await decide(hotfix)).toMatchObject({ allowed: false, code: "REF_NOT_REACHABLE" });
    expect(await decide(hotfix.slice(0, 12))).toMatchObject({ allowed: false, code: "REF_NOT_REACHABLE" });
    expect(await decide(main.slice(0, 12))).toMatchObject({ allowed: true, ref: { kind: "commit" } });
    expect(await decide("deadbeef")).toMatchObject({ allowed: false, code: "REF_NOT_FOUND" });
    expect(await decide("v1.0.0")).toMatchObject({ allowed: false });
    expect(await decide("hotfix/1.0.1")).toMatchObject({ allowed: false, code: "BRANCH_NOT_ALLOWED" });
  });
});
