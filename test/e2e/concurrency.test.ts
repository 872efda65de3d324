/**
 * 50 SDK clients of four different users at once against the running broker: each sees exactly what
 * the policy gives its own user (a response leaking between clients would show up as a wrong
 * answer), every repository token is narrowed to one repository, and every token is revoked.
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  callTool,
  connectWithToken,
  type E2eStack,
  emulatorLog,
  startE2eStack,
  toolJson,
  type UserName,
  waitForRevocations,
} from "./stack.ts";

const CLIENTS = 50;
const ORDER: UserName[] = ["alice", "pat", "nobody", "sam"];

/** What each user must see: readable repositories (README first line) and denied ones. */
const READS = [
  { owner: "mycompany", repo: "web", heading: "# web" },
  { owner: "partner-org", repo: "shared-sdk", heading: "# shared-sdk" },
  { owner: "partner-org", repo: "private-tools", heading: "" },
] as const;

function mayRead(user: UserName, fullName: string): boolean {
  if (fullName === "mycompany/web") return true;
  if (fullName === "partner-org/shared-sdk") return user === "pat";
  return false;
}

interface ClientRun {
  user: UserName;
  listed: string[];
  reads: Array<{ fullName: string; isError: boolean; text: string }>;
}

let stack: E2eStack;
const tokens = new Map<UserName, string>();
let runs: ClientRun[] = [];
let mintsBefore = 0;

beforeAll(async () => {
  stack = await startE2eStack();
  for (const user of ORDER) tokens.set(user, await stack.token(user));
  mintsBefore = (await emulatorLog(stack.githubUrl)).mints.length;
}, 30_000);

afterAll(async () => {
  await stack?.close();
});

async function runClient(index: number): Promise<ClientRun> {
  const user = ORDER[index % ORDER.length] as UserName;
  const client: Client = await connectWithToken(stack.mcpUrl, tokens.get(user) ?? "", `e2e-${user}-${index}`);
  try {
    const listing = await callTool(client, "list_repositories", {});
    if (listing.isError) throw new Error(`list_repositories failed for ${user}: ${listing.text}`);
    const listed = (toolJson(listing).repositories as Array<{ full_name: string }>).map((r) => r.full_name);
    const reads = await Promise.all(
      READS.map(async ({ owner, repo }) => {
        const r = await callTool(client, "get_file_contents", { owner, repo, path: "README.md" });
        return { fullName: `${owner}/${repo}`, isError: r.isError, text: r.text };
      }),
    );
    return { user, listed: listed.sort(), reads };
  } finally {
    await client.close();
  }
}

describe("50 concurrent clients with different users", () => {
  it("each sees only what the policy gives its own user", async () => {
    const started = Date.now();
    runs = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => runClient(i)));
    expect(Date.now() - started).toBeLessThan(40_000);
    expect(runs).toHaveLength(CLIENTS);

    for (const run of runs) {
      const where = `client of ${run.user}`;
      // list_repositories: the policy ∩ installations for this user only.
      expect(run.listed, where).toContain("mycompany/web");
      expect(run.listed, where).toContain("facebook/react");
      expect(run.listed, where).not.toContain("mycompany/secrets-vault");
      expect(run.listed, where).not.toContain("partner-org/private-tools");
      if (run.user === "pat") expect(run.listed, where).toContain("partner-org/shared-sdk");
      else
        expect(
          run.listed.some((r) => r.startsWith("partner-org/")),
          where,
        ).toBe(false);

      for (const read of run.reads) {
        const spec = READS.find((r) => `${r.owner}/${r.repo}` === read.fullName);
        if (mayRead(run.user, read.fullName)) {
          expect(read.isError, `${where} reading ${read.fullName}: ${read.text}`).toBe(false);
          expect(read.text).toContain(spec?.heading);
        } else {
          expect(read.isError, `${where} reading ${read.fullName}`).toBe(true);
          expect(read.text).toContain("not in the whitelist");
          expect(read.text).not.toContain("# shared-sdk");
        }
      }
    }
    // All four users really took part.
    expect(new Set(runs.map((r) => r.user))).toEqual(new Set(ORDER));
  }, 50_000);

  it("minted one token per allowed read, narrowed to that repository, and revoked every token", async () => {
    const log = await waitForRevocations(stack.githubUrl, 15_000);
    const mints = log.mints.slice(mintsBefore);
    const allowedReads = runs.reduce(
      (n, run) => n + run.reads.filter((r) => mayRead(run.user, r.fullName)).length,
      0,
    );
    const narrowed = mints.filter((m) => m.narrowed);
    const listings = mints.filter((m) => !m.narrowed);
    expect(narrowed).toHaveLength(allowedReads);
    for (const mint of narrowed) {
      expect(mint.repositories).toHaveLength(1);
      expect(["mycompany/web", "partner-org/shared-sdk"]).toContain(mint.repositories[0]);
      expect(mint.permissions).toEqual({ contents: "read", metadata: "read" });
    }
    // list_repositories lists installations with metadata-only tokens (src/mcp/installation-repositories.ts),
    // cached and shared: at most one per installation per cache period, never with contents.
    expect(listings.length).toBeGreaterThan(0);
    expect(listings.length).toBeLessThan(CLIENTS);
    for (const mint of listings) expect(mint.permissions).toEqual({ metadata: "read" });

    const revoked = new Set(log.revocations.map((r) => r.tokenFingerprint));
    expect(log.revocations.length).toBe(log.mints.length);
    for (const mint of log.mints)
      expect(revoked.has(mint.tokenFingerprint), mint.tokenFingerprint).toBe(true);
    // And the emulator agrees that none of them is still usable.
    const tokensRes = await fetch(`${stack.githubUrl}/_emulator/tokens`);
    const live = (await tokensRes.json()) as { tokens: Array<{ fingerprint: string; revoked: boolean }> };
    for (const mint of mints) {
      const known = live.tokens.find((t) => t.fingerprint === mint.tokenFingerprint);
      expect(known?.revoked, mint.tokenFingerprint).toBe(true);
    }
  }, 30_000);
});
