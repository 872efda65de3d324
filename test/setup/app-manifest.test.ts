/** app-manifest/manifest.json is the manifest `repogate setup github-app` posts, with example URLs. */
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { buildAppManifest } from "../../src/setup/app-manifest.ts";

describe("the App manifest", () => {
  it("matches app-manifest/manifest.json", async () => {
    const file = JSON.parse(
      await readFile(new URL("../../app-manifest/manifest.json", import.meta.url), "utf8"),
    );
    expect(
      buildAppManifest({
        publicUrl: "https://repogate.example.com",
        redirectUrl: "https://repogate.example.com/setup/github-app/callback",
      }),
    ).toEqual(file);
  });

  it("asks for read-only contents and metadata and the two installation events, nothing else", () => {
    const manifest = buildAppManifest({
      publicUrl: "https://r.example",
      redirectUrl: "http://127.0.0.1:1/callback",
    });
    expect(manifest.default_permissions).toEqual({ contents: "read", metadata: "read" });
    expect(manifest.default_events).toEqual(["installation", "installation_repositories"]);
    expect(manifest.hook_attributes).toEqual({ url: "https://r.example/github/webhook", active: true });
    expect(manifest.public).toBe(false);
  });
});
