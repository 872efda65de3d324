/**
 * The org admin's whole path in a real browser (Playwright driving Debian's Chromium): the local setup page, the
 * GitHub emulator's create page, GitHub's redirect back, the final page. Then what must be true: the KMS key is
 * Enabled with imported material, a JWT it signs is accepted, both secrets are stored, the config was written and
 * the App's private key is in no file.
 */
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DescribeKeyCommand } from "@aws-sdk/client-kms";
import { GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { type BrowserContext, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { KmsAppJwtSigner } from "../../src/aws/kms-signer.ts";
import { AppJwtProvider } from "../../src/github/app-jwt.ts";
import { type GitHubAppSetupResult, runGitHubAppSetup } from "../../src/setup/github-app-setup.ts";
import { filesHoldingKmsKey, PUBLIC_URL, type SetupFixture, startSetupFixture } from "./harness.ts";

const CHROMIUM = "/usr/bin/chromium";
const LAUNCH_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

// Skipped on a machine without Debian's Chromium, but never under CI, which installs it (.ci/run): there a
// missing browser must fail the run, not hide the test.
describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)("repogate setup github-app in a browser", () => {
  let fx: SetupFixture;
  let userDataDir: string;
  let browser: BrowserContext;
  let result: GitHubAppSetupResult;
  let finalText: string;
  let installHref: string | null;
  const configFile = () => join(fx.workDir, "repogate.yaml");

  beforeAll(async () => {
    fx = await startSetupFixture();
    userDataDir = await mkdtemp(join(tmpdir(), "repogate-chromium-"));
    // launchPersistentContext passes the fresh profile as --user-data-dir.
    browser = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: LAUNCH_FLAGS,
    });
    await writeExistingConfig(configFile());
    let pageReady: (url: string) => void = () => undefined;
    const pageUrl = new Promise<string>((resolve) => {
      pageReady = resolve;
    });
    const setup = runGitHubAppSetup(fx.options({ writeConfig: configFile(), onPageReady: pageReady }));
    const page = await browser.newPage();
    await page.goto(`${await pageUrl}/`);
    await page.click("#create-on-github");
    await page.waitForSelector("#create-app");
    expect(await page.textContent("h1")).toBe("Create GitHub App for mycompany");
    await page.click("#create-app");
    await page.waitForSelector("#done, #failed", { timeout: 60_000 });
    finalText = (await page.textContent("body")) ?? "";
    installHref = await page.getAttribute("#install", "href");
    result = await setup;
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await rm(userDataDir, { recursive: true, force: true });
    await fx?.stop();
  });

  it("ends on a page linking to the App's installation page", () => {
    expect(finalText).toContain("The GitHub App is ready");
    expect(installHref).toBe(`${fx.github.github.url}/apps/${result.slug}/installations/new`);
  });

  it("imports the key into an EXTERNAL KMS key that is now Enabled, behind the alias", async () => {
    const { KeyMetadata } = await fx.kms.send(new DescribeKeyCommand({ KeyId: "alias/repogate-github-app" }));
    expect(KeyMetadata).toMatchObject({
      KeyId: result.keyId,
      Origin: "EXTERNAL",
      KeyState: "Enabled",
      KeySpec: "RSA_2048",
      KeyUsage: "SIGN_VERIFY",
      ExpirationModel: "KEY_MATERIAL_DOES_NOT_EXPIRE",
    });
  });

  it("signs App JWTs through KMS that the emulator accepts for the new App, which can mint tokens", async () => {
    const signer = new KmsAppJwtSigner({ keyId: "alias/repogate-github-app", client: fx.kms });
    const provider = new AppJwtProvider({ appId: result.appId, clientId: result.clientId, signer });
    const { jwt } = await provider.getJwt();
    const app = await fetch(`${fx.github.github.url}/app`, { headers: { authorization: `Bearer ${jwt}` } });
    expect(app.status).toBe(200);
    expect(await app.json()).toMatchObject({
      id: result.appId,
      slug: result.slug,
      client_id: result.clientId,
    });
    const mint = await fetch(`${fx.github.github.url}/app/installations/2001/access_tokens`, {
      method: "POST",
      headers: { authorization: `Bearer ${jwt}`, "content-type": "application/json" },
      body: JSON.stringify({ repositories: ["api-server"], permissions: { contents: "read" } }),
    });
    expect(mint.status).toBe(201);
  });

  it("stores the webhook secret and the client secret in Secrets Manager", async () => {
    const webhook = await fx.secrets.send(
      new GetSecretValueCommand({ SecretId: "repogate/github-app/webhook-secret" }),
    );
    expect(webhook.SecretString).toBe(fx.github.github.state.webhooks.config()?.secret);
    expect(webhook.ARN).toBe(result.webhookSecretArn);
    const client = await fx.secrets.send(
      new GetSecretValueCommand({ SecretId: "repogate/github-app/client-secret" }),
    );
    expect(client.SecretString).toMatch(/^[0-9a-f]{40}$/);
  });

  it("writes the settings into the existing config, keeping what was there", async () => {
    const text = await readFile(configFile(), "utf8");
    expect(text).toContain("# the admin's own comment");
    expect(parseYaml(text)).toMatchObject({
      publicUrl: PUBLIC_URL,
      github: {
        appId: result.appId,
        clientId: result.clientId,
        signer: { type: "kms", keyId: "alias/repogate-github-app" },
      },
      secrets: { store: "secretsmanager", webhookSecret: result.webhookSecretArn },
    });
  });

  it("leaves the App's private key in no file (working dir, emulator data, browser profile)", async () => {
    const found = await filesHoldingKmsKey(fx.kms, result.keyId, [
      fx.workDir,
      fx.github.dataDir,
      userDataDir,
    ]);
    expect(found).toEqual([]);
    expect(fx.printed.join("\n")).not.toMatch(/PRIVATE KEY/);
  });
});

async function writeExistingConfig(file: string): Promise<void> {
  const { writeFile } = await import("node:fs/promises");
  await writeFile(file, `# the admin's own comment\npublicUrl: ${PUBLIC_URL}\n`);
}
