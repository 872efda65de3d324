/**
 * Every way `repogate setup github-app` can fail says what to do, and leaves nothing a rerun cannot fix: a reused
 * or expired code, a KMS key that is not PendingImport or has the wrong spec, AWS refusing the import, a forged
 * redirect. Driven over plain HTTP against the real emulators (the browser test covers the pages in Chromium).
 */

import { get as httpGet } from "node:http";
import { CreateAliasCommand, CreateKeyCommand, DescribeKeyCommand } from "@aws-sdk/client-kms";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GitHubAppSetupResult, runGitHubAppSetup } from "../../src/setup/github-app-setup.ts";
import { clickThroughToRedirect, type SetupFixture, startSetupFixture } from "./harness.ts";

let fx: SetupFixture;
let aliasCount = 0;

beforeAll(async () => {
  fx = await startSetupFixture();
}, 60_000);
afterAll(async () => {
  await fx?.stop();
});

/** Starts a setup run and hands its local page URL to `drive`; resolves with the run's outcome. */
async function runSetup(
  overrides: Parameters<SetupFixture["options"]>[0],
  drive: (pageUrl: string) => Promise<void>,
): Promise<{ result?: GitHubAppSetupResult; error?: { code?: string; message: string } }> {
  let ready: (url: string) => void = () => undefined;
  const pageUrl = new Promise<string>((resolve) => {
    ready = resolve;
  });
  // Each run its own alias: a successful run leaves its alias on an Enabled key, which the next would refuse.
  aliasCount += 1;
  const alias = `alias/failure-test-${aliasCount}`;
  const run = runGitHubAppSetup(fx.options({ alias, ...overrides, onPageReady: ready }));
  const outcome = run.then(
    (result) => ({ result }),
    (error: { code?: string; message: string }) => ({ error }),
  );
  const raced = await Promise.race([pageUrl, outcome]);
  if (typeof raced !== "string") return raced;
  await drive(raced);
  return outcome;
}

async function newExternalKey(spec: "RSA_2048" | "RSA_4096" = "RSA_2048"): Promise<string> {
  const created = await fx.kms.send(
    new CreateKeyCommand({ KeySpec: spec, KeyUsage: "SIGN_VERIFY", Origin: "EXTERNAL" }),
  );
  return created.KeyMetadata?.KeyId as string;
}

async function keyState(keyId: string): Promise<string | undefined> {
  return (await fx.kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState;
}

describe("setup github-app failures", () => {
  it("refuses a redirect with the wrong state and still completes the real one", async () => {
    const keyId = await newExternalKey();
    let forged = 0;
    let foreignHost = 0;
    const outcome = await runSetup({ keyId, createKey: false, name: "state-check" }, async (pageUrl) => {
      // A DNS-rebinding page reaches the same socket under its own name: refused, `state` is not shown.
      foreignHost = await new Promise<number>((resolve, reject) => {
        const url = new URL(pageUrl);
        httpGet(
          { host: url.hostname, port: url.port, path: "/", headers: { host: `evil.example:${url.port}` } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        ).on("error", reject);
      });
      const redirect = await clickThroughToRedirect(pageUrl);
      const wrong = new URL(redirect);
      wrong.searchParams.set("state", "forged-state-value-of-some-length");
      forged = (await fetch(wrong)).status;
      expect((await fetch(redirect)).status).toBe(200);
    });
    expect(forged).toBe(400);
    expect(foreignHost).toBe(403);
    expect(outcome.error).toBeUndefined();
    expect(outcome.result?.keyId).toBe(keyId);
    expect(await keyState(keyId)).toBe("Enabled");
  });

  it("says a reused code must be started again, leaves the KMS key PendingImport, and a rerun succeeds", async () => {
    const keyId = await newExternalKey();
    const outcome = await runSetup({ keyId, createKey: false, name: "reused-code" }, async (pageUrl) => {
      const redirect = await clickThroughToRedirect(pageUrl);
      // Someone (or an earlier attempt) converts the code first.
      const code = redirect.searchParams.get("code");
      expect(
        (await fetch(`${fx.github.github.url}/app-manifests/${code}/conversions`, { method: "POST" })).status,
      ).toBe(201);
      const page = await fetch(redirect);
      expect(page.status).toBe(500);
      expect(await page.text()).toContain("used already");
    });
    expect(outcome.error?.code).toBe("MANIFEST_CODE_INVALID");
    expect(outcome.error?.message).toMatch(/expired \(codes last one hour\) or was used already/);
    expect(await keyState(keyId)).toBe("PendingImport");

    const rerun = await runSetup({ keyId, createKey: false, name: "reused-code-2" }, async (pageUrl) => {
      await fetch(await clickThroughToRedirect(pageUrl));
    });
    expect(rerun.error).toBeUndefined();
    expect(await keyState(keyId)).toBe("Enabled");
  });

  it("says an expired code (older than one hour) must be started again", async () => {
    const keyId = await newExternalKey();
    const outcome = await runSetup({ keyId, createKey: false, name: "expired-code" }, async (pageUrl) => {
      const redirect = await clickThroughToRedirect(pageUrl);
      expect(fx.github.github.state.manifests.expire(redirect.searchParams.get("code") as string)).toBe(true);
      await fetch(redirect);
    });
    expect(outcome.error?.code).toBe("MANIFEST_CODE_INVALID");
    expect(await keyState(keyId)).toBe("PendingImport");
  });

  it("refuses a KMS key that already holds key material before anything is created on GitHub", async () => {
    const keyId = await newExternalKey();
    await runSetup({ keyId, createKey: false, name: "first-use" }, async (pageUrl) => {
      await fetch(await clickThroughToRedirect(pageUrl));
    });
    expect(await keyState(keyId)).toBe("Enabled");
    const outcome = await runSetup({ keyId, createKey: false }, async () => {
      throw new Error("the page must not be served when the key is unusable");
    });
    expect(outcome.error?.code).toBe("KMS_KEY_NOT_PENDING_IMPORT");
    expect(outcome.error?.message).toMatch(/is Enabled, not PendingImport.*--create-key/);
  });

  it("refuses to move an alias that points at another Enabled key (a live App key) before anything is created", async () => {
    const live = await fx.kms.send(new CreateKeyCommand({ KeySpec: "RSA_2048", KeyUsage: "SIGN_VERIFY" }));
    const liveId = live.KeyMetadata?.KeyId as string;
    await fx.kms.send(new CreateAliasCommand({ AliasName: "alias/live-app", TargetKeyId: liveId }));
    const createdBefore = fx.aws.emulator.calls.count("kms", "CreateKey");
    const outcome = await runSetup({ alias: "alias/live-app", createKey: true }, async () => {
      throw new Error("the page must not be served when the alias is in use");
    });
    expect(outcome.error?.code).toBe("KMS_ALIAS_IN_USE");
    expect(outcome.error?.message).toMatch(/rotate-key.*--alias.*--replace-alias/);
    // No key was created for nothing, and the alias still names the live key.
    expect(fx.aws.emulator.calls.count("kms", "CreateKey")).toBe(createdBefore);
    const target = await fx.kms.send(new DescribeKeyCommand({ KeyId: "alias/live-app" }));
    expect(target.KeyMetadata?.KeyId).toBe(liveId);
  });

  it("refuses a key of the wrong spec or origin, naming what is needed", async () => {
    const wrongSpec = await newExternalKey("RSA_4096");
    const spec = await runSetup({ keyId: wrongSpec, createKey: false }, async () => undefined);
    expect(spec.error?.code).toBe("KMS_KEY_WRONG_SPEC");
    expect(spec.error?.message).toContain("needs RSA_2048 for SIGN_VERIFY");

    const kmsOrigin = await fx.kms.send(
      new CreateKeyCommand({ KeySpec: "RSA_2048", KeyUsage: "SIGN_VERIFY" }),
    );
    const origin = await runSetup(
      { keyId: kmsOrigin.KeyMetadata?.KeyId, createKey: false },
      async () => undefined,
    );
    expect(origin.error?.code).toBe("KMS_KEY_NOT_EXTERNAL");

    const none = await runSetup({ createKey: false }, async () => undefined);
    expect(none.error?.code).toBe("KMS_KEY_MISSING");
  });

  it("reports AWS denying the import with the permissions to grant and how to finish with the created App", async () => {
    const keyId = await newExternalKey();
    const fault = fx.aws.emulator.faults.set({
      service: "kms",
      kind: "denied",
      operation: "ImportKeyMaterial",
    });
    try {
      const outcome = await runSetup({ keyId, createKey: false, name: "denied-import" }, async (pageUrl) => {
        await fetch(await clickThroughToRedirect(pageUrl));
      });
      expect(outcome.error?.code).toBe("KMS_ACCESS_DENIED");
      expect(outcome.error?.message).toMatch(/was created on GitHub/);
      expect(outcome.error?.message).toMatch(/kms:ImportKeyMaterial/);
      expect(outcome.error?.message).toMatch(/repogate setup rotate-key --pem FILE/);
      expect(outcome.error?.message).not.toMatch(/PRIVATE KEY/);
    } finally {
      fx.aws.emulator.faults.clear({ id: fault.id });
    }
    expect(await keyState(keyId)).toBe("PendingImport");
  });
});
