import { generateKeyPairSync } from "node:crypto";
import { App } from "@octokit/app";
import { Octokit } from "@octokit/core";
import { importPKCS8, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmulatorFixture, failure, INSTALLATIONS, quietLog, startFixture } from "./harness.ts";

let fx: EmulatorFixture;
beforeAll(async () => {
  fx = await startFixture();
});
afterAll(async () => {
  await fx?.stop();
});

async function signJwt(claims: Record<string, unknown>, pem = fx.privateKey): Promise<string> {
  const key = await importPKCS8(pem, "RS256");
  return new SignJWT(claims).setProtectedHeader({ alg: "RS256", typ: "JWT" }).sign(key);
}

function now(): number {
  return Math.floor(Date.now() / 1000);
}

function withJwt(jwt: string) {
  return new Octokit({ baseUrl: fx.github.url, auth: jwt, log: quietLog });
}

describe("App authentication (App JWT)", () => {
  it("answers GET /app for a JWT signed by @octokit/auth-app", async () => {
    const res = await fx.appOctokit.request("GET /app");
    expect(res.status).toBe(200);
    expect(res.data?.id).toBe(1001);
    expect(res.data?.slug).toBe("repogate-local");
    expect(res.data?.client_id).toMatch(/^Iv23li/);
    expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(res.headers["x-github-request-id"]).toMatch(/^[0-9A-F]{4}:/);
    expect(res.headers["x-github-media-type"]).toBe("github.v3; format=json");
  });

  it("accepts iss as the App id string and as the client id", async () => {
    for (const iss of ["1001", fx.github.app.clientId]) {
      const jwt = await signJwt({ iss, iat: now() - 30, exp: now() + 500 });
      const res = await withJwt(jwt).request("GET /app");
      expect(res.data?.id).toBe(1001);
    }
  });

  it("rejects JWTs GitHub rejects, with GitHub's messages", async () => {
    const other = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      privateKeyEncoding: { type: "pkcs8", format: "pem" },
      publicKeyEncoding: { type: "spki", format: "pem" },
    }).privateKey;
    const cases: Array<[string, string, RegExp]> = [
      [
        "wrong key",
        await signJwt({ iss: 1001, iat: now() - 30, exp: now() + 500 }, other),
        /could not be decoded/,
      ],
      [
        "exp too far",
        await signJwt({ iss: 1001, iat: now() - 30, exp: now() + 1200 }),
        /'exp'\) is too far in the future/,
      ],
      [
        "lifetime over 10 min",
        await signJwt({ iss: 1001, iat: now() - 200, exp: now() + 500 }),
        /too far in the future/,
      ],
      [
        "expired",
        await signJwt({ iss: 1001, iat: now() - 900, exp: now() - 300 }),
        /'Expiration time' claim \('exp'\) must be a numeric value/,
      ],
      [
        "iat in the future",
        await signJwt({ iss: 1001, iat: now() + 300, exp: now() + 600 }),
        /'Issued at' claim/,
      ],
      [
        "iss another app",
        await signJwt({ iss: 999, iat: now() - 30, exp: now() + 500 }),
        /Integration not found/,
      ],
      ["no iss", await signJwt({ iat: now() - 30, exp: now() + 500 }), /Missing 'issuer' claim/],
      ["garbage", "aaa.bbb.ccc", /could not be decoded/],
    ];
    for (const [name, jwt, message] of cases) {
      const res = await failure(withJwt(jwt).request("GET /app"));
      expect(res.status, name).toBe(401);
      expect(res.data.message, name).toMatch(message);
      expect(res.data.status, name).toBe("401");
    }
  });

  it("does not accept an installation token on App endpoints", async () => {
    const { token } = await fx.installationOctokit(INSTALLATIONS.mycompany);
    const res = await failure(withJwt(token).request("GET /app"));
    expect(res.status).toBe(401);
  });
});

describe("installations", () => {
  it("lists installations with the permissions they were granted", async () => {
    const { data } = await fx.appOctokit.request("GET /app/installations");
    expect(data.map((i) => i.account && "login" in i.account && i.account.login)).toEqual([
      "mycompany",
      "facebook",
      "partner-org",
    ]);
    expect(data[0]?.permissions).toEqual({ contents: "read", metadata: "read" });
    expect(data[1]?.repository_selection).toBe("selected");
  });

  it("finds installations by org, user, repository and id", async () => {
    const byOrg = await fx.appOctokit.request("GET /orgs/{org}/installation", { org: "MyCompany" });
    expect(byOrg.data.id).toBe(INSTALLATIONS.mycompany);
    const byUser = await fx.appOctokit.request("GET /users/{username}/installation", {
      username: "facebook",
    });
    expect(byUser.data.id).toBe(INSTALLATIONS.facebook);
    const byRepo = await fx.appOctokit.request("GET /repos/{owner}/{repo}/installation", {
      owner: "partner-org",
      repo: "shared-sdk",
    });
    expect(byRepo.data.id).toBe(INSTALLATIONS.partnerOrg);
    const byId = await fx.appOctokit.request("GET /app/installations/{installation_id}", {
      installation_id: 2002,
    });
    expect(byId.data.account && "login" in byId.data.account && byId.data.account.login).toBe("facebook");
  });

  it("answers 404 where the App is not installed", async () => {
    const org = await failure(fx.appOctokit.request("GET /orgs/{org}/installation", { org: "othercorp" }));
    expect(org.status).toBe(404);
    expect(org.data.message).toBe("Not Found");
    const repo = await failure(
      fx.appOctokit.request("GET /repos/{owner}/{repo}/installation", { owner: "othercorp", repo: "secret" }),
    );
    expect(repo.status).toBe(404);
    // Installed on the org, but this repository is not in the selection.
    const unselected = await failure(
      fx.appOctokit.request("GET /repos/{owner}/{repo}/installation", {
        owner: "partner-org",
        repo: "private-tools",
      }),
    );
    expect(unselected.status).toBe(404);
    const id = await failure(
      fx.appOctokit.request("GET /app/installations/{installation_id}", { installation_id: 9 }),
    );
    expect(id.status).toBe(404);
  });
});

describe("@octokit/app", () => {
  it("walks installations and their repositories with installation tokens", async () => {
    const app = new App({
      appId: fx.github.app.id,
      privateKey: fx.privateKey,
      Octokit: Octokit.defaults({ baseUrl: fx.github.url }),
      log: quietLog,
    });
    const { data } = await app.octokit.request("GET /app");
    expect(data?.slug).toBe("repogate-local");
    const seen: string[] = [];
    for await (const { repository } of app.eachRepository.iterator()) seen.push(repository.full_name);
    expect(seen).toEqual(
      expect.arrayContaining(["mycompany/web", "facebook/react", "partner-org/shared-sdk"]),
    );
    expect(seen).not.toContain("partner-org/private-tools");
    expect(seen.some((name) => name.startsWith("othercorp/"))).toBe(false);
    const installation = await app.getInstallationOctokit(INSTALLATIONS.facebook);
    const repo = await installation.request("GET /repos/{owner}/{repo}", {
      owner: "facebook",
      repo: "react",
    });
    expect(repo.data.full_name).toBe("facebook/react");
  });
});
