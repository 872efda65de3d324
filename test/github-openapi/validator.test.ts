/**
 * The validator itself: it must reject what GitHub's description rejects, or the conformance tests
 * would pass vacuously. No emulator here, only the description and hand-made responses.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { convertNullable, GitHubOpenApi } from "./openapi-validator.ts";

let openapi: GitHubOpenApi;

beforeAll(() => {
  openapi = GitHubOpenApi.load();
}, 30_000);

const json = (extra: Record<string, string> = {}) =>
  new Headers({ "content-type": "application/json; charset=utf-8", ...extra });

function operation(method: string, path: string) {
  const match = openapi.matchOperations(method, path)[0];
  if (!match) throw new Error(`no operation for ${method} ${path}`);
  return match;
}

const file = {
  type: "file",
  encoding: "base64",
  size: 3,
  name: "a.txt",
  path: "a.txt",
  content: "YWJj\n",
  sha: "8baef1b4abc478178b004d62031cf7fe6db6f903",
  url: "http://127.0.0.1:1/repos/o/r/contents/a.txt?ref=main",
  git_url: null,
  html_url: null,
  download_url: null,
  _links: { self: "http://127.0.0.1:1/repos/o/r/contents/a.txt?ref=main", git: null, html: null },
};

describe("GitHubOpenApi", () => {
  it("loads an OpenAPI 3.0 or 3.1 description of api.github.com", () => {
    expect(openapi.version).toMatch(/^3\.[01]\./);
  });

  it("maps concrete paths to operations, slashes and encoded names included", () => {
    const id = (method: string, path: string) => openapi.matchOperations(method, path)[0]?.operationId;
    expect(id("GET", "/repos/o/r/contents/docs/i18n/%C3%BCbersicht.md")).toBe("repos/get-content");
    expect(id("GET", "/repos/o/r/contents/")).toBe("repos/get-content");
    expect(id("GET", "/repos/o/r/branches/feature/x")).toBe("repos/get-branch");
    expect(id("GET", "/repos/o/r/readme/test/fixtures")).toBe("repos/get-readme-in-directory");
    expect(id("GET", "/repos/o/r/commits/main/status")).toBe("repos/get-combined-status-for-ref");
    expect(id("GET", "/repos/o/r")).toBe("repos/get");
    expect(id("GET", "/repos/o/r/x/y")).toBeUndefined();
    expect(id("DELETE", "/installation/token")).toBe("apps/revoke-installation-access-token");
    expect(
      openapi.matchOperations("GET", "/repos/o/r/compare/a...feature/b").map((m) => m.operationId),
    ).toEqual(expect.arrayContaining(["repos/compare-commits", "repos/compare-commits-with-basehead"]));
  });

  it("accepts a conforming body and names every violation of a broken one", () => {
    const getContent = operation("GET", "/repos/o/r/contents/a.txt");
    const ok = openapi.validateResponse(getContent, {
      status: 200,
      headers: json(),
      bodyText: JSON.stringify(file),
    });
    expect(ok).toEqual({ problems: [], mediaType: "application/json" });

    const { sha: _sha, ...noSha } = file;
    const broken = openapi.validateResponse(getContent, {
      status: 200,
      headers: json(),
      bodyText: JSON.stringify({ ...noSha, url: "/relative", size: "3" }),
    });
    const text = broken.problems.join("\n");
    expect(text).toContain("must have required property 'sha'");
    expect(text).toContain('/url must match format "uri"');
    expect(text).toContain("/size must be integer");
  });

  it("treats nullable: true as allowing null, and only there", () => {
    const getContent = operation("GET", "/repos/o/r/contents/a.txt");
    const nullSha = openapi.validateResponse(getContent, {
      status: 200,
      headers: json(),
      bodyText: JSON.stringify({ ...file, sha: null }),
    });
    expect(nullSha.problems.join("\n")).toContain("/sha must be string");
    const repo = openapi.validateComponent("full-repository", { language: null });
    expect(repo.join("\n")).not.toContain("/language");
    expect(openapi.validateComponent("full-repository", { language: 3 }).join("\n")).toContain(
      "/language must be string,null",
    );
  });

  it("rewrites OpenAPI 3.0 nullable into JSON Schema", () => {
    expect(convertNullable({ type: "string", enum: ["a"], nullable: true })).toEqual({
      type: ["string", "null"],
      enum: ["a", null],
    });
    expect(convertNullable({ allOf: [{ $ref: "#/x" }], nullable: true })).toEqual({
      anyOf: [{ type: "null" }, { allOf: [{ $ref: "#/x" }] }],
    });
    expect(
      convertNullable({
        properties: { a: { type: "integer", nullable: false } },
        example: { nullable: true },
      }),
    ).toEqual({
      properties: { a: { type: "integer", nullable: false } },
      example: { nullable: true },
    });
  });

  it("validates an OpenAPI 3.1 description as JSON Schema 2020-12 (type arrays)", () => {
    const doc = {
      openapi: "3.1.0",
      paths: {
        "/things/{id}": {
          get: {
            operationId: "things/get",
            responses: {
              "200": { content: { "application/json": { schema: { $ref: "#/components/schemas/thing" } } } },
            },
          },
        },
      },
      components: {
        schemas: {
          thing: {
            type: "object",
            required: ["name"],
            properties: {
              name: { type: ["string", "null"] },
              tags: { type: "array", prefixItems: [{ const: "first" }] },
            },
          },
        },
      },
    };
    const api = GitHubOpenApi.fromDocument(doc);
    const get = api.matchOperations("GET", "/things/1")[0];
    if (!get) throw new Error("no match");
    const check = (body: unknown) =>
      api.validateResponse(get, { status: 200, headers: json(), bodyText: JSON.stringify(body) }).problems;
    expect(check({ name: null, tags: ["first"] })).toEqual([]);
    expect(check({ name: 1 }).join("\n")).toContain("/name must be string,null");
    expect(check({}).join("\n")).toContain("must have required property 'name'");
    // 2020-12 keywords are in force.
    expect(check({ name: "a", tags: ["second"] }).join("\n")).toContain("/tags/0 must be equal to constant");
  });

  it("rejects an undocumented status, an undocumented content type and a body where none is documented", () => {
    const getApp = operation("GET", "/app");
    expect(
      openapi.validateResponse(getApp, { status: 404, headers: json(), bodyText: "{}" }).problems[0],
    ).toMatch(/status 404 is not documented for apps\/get-authenticated/);
    const repo = operation("GET", "/repos/o/r");
    expect(
      openapi.validateResponse(repo, {
        status: 200,
        headers: new Headers({ "content-type": "text/html" }),
        bodyText: "<p>",
      }).problems[0],
    ).toMatch(/content type text\/html is not documented/);
    const revoke = operation("DELETE", "/installation/token");
    expect(
      openapi.validateResponse(revoke, { status: 204, headers: new Headers(), bodyText: "" }).problems,
    ).toEqual([]);
    expect(
      openapi.validateResponse(revoke, { status: 204, headers: new Headers(), bodyText: "{}" }).problems[0],
    ).toMatch(/documents no body/);
  });

  it("checks documented headers against their schema and the vendor media type asked for", () => {
    const rateLimit = operation("GET", "/rate_limit");
    const window = { limit: 5000, used: 0, remaining: 5000, reset: 1 };
    const body = JSON.stringify({ resources: { core: window, search: window }, rate: window });
    expect(
      openapi.validateResponse(rateLimit, {
        status: 200,
        headers: json({ "x-ratelimit-limit": "5000" }),
        bodyText: body,
      }).problems,
    ).toEqual([]);
    expect(
      openapi.validateResponse(rateLimit, {
        status: 200,
        headers: json({ "x-ratelimit-limit": "lots" }),
        bodyText: body,
      }).problems[0],
    ).toMatch(/header X-RateLimit-Limit: "lots".*must be integer/);

    const getContent = operation("GET", "/repos/o/r/contents/docs");
    const asObject = openapi.validateResponse(getContent, {
      status: 200,
      headers: json(),
      accept: "application/vnd.github.object",
      bodyText: "[]",
    });
    expect(asObject.mediaType).toBe("application/vnd.github.object");
    expect(asObject.problems.join("\n")).toContain("must be object");

    const diff = openapi.validateResponse(operation("GET", "/repos/o/r/commits/main"), {
      status: 200,
      headers: new Headers({ "content-type": "application/vnd.github.v3.diff; charset=utf-8" }),
      bodyText: "diff --git a/x b/x\n",
    });
    expect(diff).toEqual({ problems: [], mediaType: "application/vnd.github.diff" });
  });

  it("checks error bodies against basic-error and validation-error", () => {
    const mint = operation("POST", "/app/installations/1/access_tokens");
    const notFound = openapi.validateResponse(mint, {
      status: 404,
      headers: json(),
      bodyText: JSON.stringify({
        message: "Not Found",
        documentation_url: "https://docs.github.com/rest",
        status: 404,
      }),
    });
    expect(notFound.problems.join("\n")).toContain("/status must be string");
    const invalid = openapi.validateResponse(mint, {
      status: 422,
      headers: json(),
      bodyText: JSON.stringify({ message: "x" }),
    });
    expect(invalid.problems.join("\n")).toContain("must have required property 'documentation_url'");
  });
});
