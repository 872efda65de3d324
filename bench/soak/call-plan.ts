/**
 * What each soak user calls, round robin: allowed reads (with a check that the answer is the right one) and calls
 * the seed policy (wrangler-free-local/seed/policy.yaml) must deny, so a wrong allow or deny shows up as a figure.
 */

export interface PlannedCall {
  tool: string;
  args: Record<string, unknown>;
  /** What the policy must decide. */
  expect: "allow" | "deny";
  /** Text a correct successful answer contains. */
  mustContain?: string;
}

export interface SoakUser {
  name: string;
  email: string;
  /** Concurrent MCP clients of this user. */
  clients: number;
  /** Calls each client sends at once: above 1 this user bursts past the per-principal rate limit. */
  burst: number;
  calls: PlannedCall[];
}

const readme = (owner: string, repo: string, heading: string): PlannedCall => ({
  tool: "get_file_contents",
  args: { owner, repo, path: "README.md" },
  expect: "allow",
  mustContain: heading,
});

const branches = (owner: string, repo: string, expect: PlannedCall["expect"]): PlannedCall => ({
  tool: "list_branches",
  args: { owner, repo },
  expect,
  ...(expect === "allow" ? { mustContain: '"main"' } : {}),
});

const denied = (owner: string, repo: string): PlannedCall => ({
  tool: "get_file_contents",
  args: { owner, repo, path: "README.md" },
  expect: "deny",
});

/** 32 clients of four users by default: two readers, a partner, a user without groups, and a burster. */
export function soakUsers(clients: number): SoakUser[] {
  const share = (fraction: number) => Math.max(1, Math.round(clients * fraction));
  const alice = share(10 / 32);
  const pat = share(8 / 32);
  const nobody = share(8 / 32);
  const sam = Math.max(1, clients - alice - pat - nobody);
  return [
    {
      name: "alice",
      email: "alice@mycompany.example",
      clients: alice,
      burst: 1,
      calls: [
        readme("mycompany", "web", "# web"),
        branches("mycompany", "web", "allow"),
        {
          tool: "list_commits",
          args: { owner: "mycompany", repo: "web", per_page: 5 },
          expect: "allow",
          mustContain: "sha",
        },
        denied("mycompany", "secrets-vault"),
        {
          tool: "list_repositories",
          args: { owner: "mycompany" },
          expect: "allow",
          mustContain: "mycompany/web",
        },
      ],
    },
    {
      name: "pat",
      email: "pat@partner.example",
      clients: pat,
      burst: 1,
      calls: [
        branches("partner-org", "shared-sdk", "allow"),
        readme("mycompany", "web", "# web"),
        denied("partner-org", "private-tools"),
        branches("othercorp", "secret", "deny"),
      ],
    },
    {
      name: "nobody",
      email: "nobody@mycompany.example",
      clients: nobody,
      burst: 1,
      calls: [
        readme("mycompany", "web", "# web"),
        branches("partner-org", "shared-sdk", "deny"),
        branches("mycompany", "api-server", "allow"),
      ],
    },
    {
      name: "sam",
      email: "sam@mycompany.example",
      clients: sam,
      burst: 6,
      calls: [branches("mycompany", "web", "allow"), denied("mycompany", "secrets-vault")],
    },
  ];
}
