/**
 * GitHub answering a narrowed mint with MORE than was asked is a fault the emulator cannot produce,
 * so a minimal stub plays that one endpoint (reliability-anchors F1, "201 with extra repositories").
 */
import { generateKeyPairSync } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createGitHubClients, PemAppJwtSigner } from "../../src/github/index.ts";
import { recordingCall, serializeError, silentLog, TOKEN_PATTERN } from "./harness.ts";

type MintAnswer = Record<string, unknown>;
let answer: MintAnswer;
const seen: Array<{ method: string; url: string; body: string }> = [];
let server: Server;
let baseUrl: string;

const repo = (name: string) => ({ id: name.length, name, full_name: `acme/${name}` });

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", body });
      res.setHeader("content-type", "application/json");
      if (req.method === "GET" && req.url === "/orgs/acme/installation") {
        res.end(JSON.stringify({ id: 7, account: { login: "acme" }, target_type: "Organization" }));
      } else if (req.method === "POST" && req.url === "/app/installations/7/access_tokens") {
        res.statusCode = 201;
        res.end(JSON.stringify(answer));
      } else if (req.method === "DELETE" && req.url === "/installation/token") {
        res.statusCode = 204;
        res.end();
      } else {
        res.statusCode = 404;
        res.end(JSON.stringify({ message: "Not Found" }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  seen.length = 0;
});

// Assembled at run time so secret scanners do not flag the repository.
const TOKEN = ["ghs", "STATELESS.eyJhbGciOiJSUzI1NiJ9.c2lnbmF0dXJl-part_2"].join("_");
const signer = new PemAppJwtSigner(
  generateKeyPairSync("rsa", { modulusLength: 2048 })
    .privateKey.export({ type: "pkcs8", format: "pem" })
    .toString(),
);

function broker() {
  return createGitHubClients({ appId: 1, baseUrl, signer, retries: 0, log: silentLog }).tokens;
}

const cases: Array<[string, MintAnswer, RegExp]> = [
  [
    "an extra repository",
    { repositories: [repo("api"), repo("secrets")], permissions: { contents: "read", metadata: "read" } },
    /asked for acme\/api; got acme\/api, acme\/secrets/,
  ],
  ["no repository list", { permissions: { contents: "read", metadata: "read" } }, /no repository list/],
  [
    "an installation-wide selection",
    { repository_selection: "all", repositories: [repo("api")], permissions: { contents: "read" } },
    /repository_selection is "all"/,
  ],
  [
    "a write permission",
    { repositories: [repo("api")], permissions: { contents: "write", metadata: "read" } },
    /permissions .* exceed/,
  ],
  [
    "an extra permission",
    { repositories: [repo("api")], permissions: { contents: "read", issues: "read" } },
    /exceed/,
  ],
  [
    "no expiry (a live token all the same)",
    {
      expires_at: undefined,
      repositories: [repo("api")],
      permissions: { contents: "read", metadata: "read" },
    },
    /no expiry reported/,
  ],
];

describe("mint response checks", () => {
  it.each(cases)("revokes and refuses a token granted with %s", async (_label, extra, detail) => {
    answer = { token: TOKEN, expires_at: "2099-01-01T00:00:00Z", repository_selection: "selected", ...extra };
    const call = recordingCall();
    const b = broker();
    let called = false;
    const error = await b
      .withToken({ repository: "acme/api", operation: "read" }, call, async () => {
        called = true;
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "TOKEN_SCOPE_MISMATCH" });
    expect((error as Error).message).toMatch(detail);
    expect(called).toBe(false);
    expect(serializeError(error)).not.toMatch(TOKEN_PATTERN);
    await b.drain();
    expect(call.grants).toEqual([]);
    expect(call.revocations).toMatchObject([{ reason: "scope-mismatch", attempts: 1 }]);
    expect(seen.filter((r) => r.method === "DELETE")).toHaveLength(1);
    // The mint request itself was narrowed.
    const mint = seen.find((r) => r.method === "POST");
    expect(JSON.parse(mint?.body ?? "{}")).toEqual({
      repositories: ["api"],
      permissions: { contents: "read", metadata: "read" },
    });
  });

  it("accepts a grant with fewer permissions than asked, and a stateless-format token never leaks", async () => {
    answer = {
      token: TOKEN,
      expires_at: "2099-01-01T00:00:00Z",
      repository_selection: "selected",
      repositories: [repo("api")],
      permissions: { metadata: "read" },
    };
    const b = broker();
    const error = await b
      .withToken({ repository: "acme/api", operation: "read" }, recordingCall(), async (_octokit, grant) => {
        expect(grant.permissions).toEqual({ metadata: "read" });
        throw new Error(`tool failed while holding ${TOKEN}`);
      })
      .catch((e: unknown) => e);
    expect((error as Error).message).toBe("tool failed while holding [REDACTED]");
    expect(serializeError(error)).not.toContain(TOKEN);
    await b.drain();
  });
});

describe("installation-listing mint response checks", () => {
  const listingCases: Array<[string, Record<string, unknown> | undefined]> = [
    ["contents:read besides metadata:read", { metadata: "read", contents: "read" }],
    ["metadata:write", { metadata: "write" }],
    ["no permissions at all", undefined],
  ];

  it.each(listingCases)(
    "revokes and refuses a listing token granted with %s",
    async (_label, permissions) => {
      answer = {
        token: TOKEN,
        expires_at: "2099-01-01T00:00:00Z",
        repository_selection: "all",
        ...(permissions ? { permissions } : {}),
      };
      const call = recordingCall();
      const b = broker();
      let called = false;
      const error = await b
        .withInstallationListingToken({ installationId: 7 }, call, async () => {
          called = true;
        })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "TOKEN_SCOPE_MISMATCH" });
      expect(called).toBe(false);
      expect(serializeError(error)).not.toMatch(TOKEN_PATTERN);
      await b.drain();
      expect(call.grants).toEqual([]);
      expect(call.revocations).toMatchObject([
        { reason: "scope-mismatch", purpose: "installation-listing", repositories: [], attempts: 1 },
      ]);
      expect(seen.filter((r) => r.method === "DELETE")).toHaveLength(1);
    },
  );

  it("sends exactly {permissions: {metadata: read}} and no repository list", async () => {
    // GitHub mirrors the installation's own selection for an unnarrowed token; "selected" is accepted too.
    answer = {
      token: TOKEN,
      expires_at: "2099-01-01T00:00:00Z",
      repository_selection: "selected",
      permissions: { metadata: "read" },
    };
    const b = broker();
    const grant = await b.withInstallationListingToken(
      { installationId: 7 },
      recordingCall(),
      async (_octokit, g) => g,
    );
    await b.drain();
    const mint = seen.find((r) => r.method === "POST");
    expect(mint?.url).toBe("/app/installations/7/access_tokens");
    expect(JSON.parse(mint?.body ?? "{}")).toEqual({ permissions: { metadata: "read" } });
    expect(grant).toMatchObject({
      repositories: [],
      repositorySelection: "all",
      purpose: "installation-listing",
    });
  });
});
