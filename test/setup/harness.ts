/**
 * Shared set-up for the setup-command tests: a real GitHub emulator and AWS emulator on free ports, KMS and
 * Secrets Manager clients for them, and the options `runGitHubAppSetup` needs to run against them.
 */
import { createPublicKey } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetPublicKeyCommand, type KMSClient } from "@aws-sdk/client-kms";
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { GitHubAppSetupOptions } from "../../src/setup/github-app-setup.ts";
import {
  type EmulatorFixture as AwsFixture,
  kmsClient,
  secretsClient,
  startFixture as startAws,
} from "../aws-emulator/fixture.ts";
import {
  type EmulatorFixture as GitHubFixture,
  startFixture as startGitHub,
} from "../github-emulator/harness.ts";

export interface SetupFixture {
  github: GitHubFixture;
  aws: AwsFixture;
  kms: KMSClient;
  secrets: SecretsManagerClient;
  /** The admin's working directory (config written here). */
  workDir: string;
  options(overrides?: Partial<GitHubAppSetupOptions>): GitHubAppSetupOptions;
  printed: string[];
  stop(): Promise<void>;
}

export const ORG = "mycompany";
export const PUBLIC_URL = "https://repogate.mycompany.example";

/** Starts both emulators and returns options that point the setup at them. */
export async function startSetupFixture(): Promise<SetupFixture> {
  const [github, aws] = await Promise.all([startGitHub(), startAws()]);
  const workDir = await mkdtemp(join(tmpdir(), "repogate-setup-"));
  const kms = kmsClient(aws.emulator);
  const secrets = secretsClient(aws.emulator);
  const printed: string[] = [];
  return {
    github,
    aws,
    kms,
    secrets,
    workDir,
    printed,
    options: (overrides = {}) => ({
      org: ORG,
      publicUrl: PUBLIC_URL,
      githubUrl: github.github.url,
      apiUrl: github.github.url,
      kms,
      createKey: true,
      alias: "alias/repogate-github-app",
      region: "us-east-1",
      secrets,
      secretPrefix: "repogate/github-app",
      print: (line) => printed.push(line),
      ...overrides,
    }),
    async stop() {
      kms.destroy();
      secrets.destroy();
      await Promise.all([github.stop(), aws.stop()]);
      await rm(workDir, { recursive: true, force: true });
    },
  };
}

/** Every file under `dir` (recursively). */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/**
 * Files under `dirs` holding a PEM private key whose public half is the KMS key's: the App key written to disk.
 * (The AWS emulator's own state plays KMS's HSM and is not one of the dirs to pass.)
 */
export async function filesHoldingKmsKey(kms: KMSClient, keyId: string, dirs: string[]): Promise<string[]> {
  const { PublicKey } = await kms.send(new GetPublicKeyCommand({ KeyId: keyId }));
  const wanted = Buffer.from(PublicKey as Uint8Array).toString("base64");
  const found: string[] = [];
  for (const dir of dirs) {
    for (const file of await filesUnder(dir)) {
      const text = await readFile(file, "utf8").catch(() => "");
      for (const match of text.matchAll(
        /-----BEGIN (?:RSA )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA )?PRIVATE KEY-----/g,
      )) {
        const spki = createPublicKey(match[0]).export({ type: "spki", format: "der" }).toString("base64");
        if (spki === wanted) found.push(file);
      }
    }
  }
  return found;
}

function unescapeHtml(text: string): string {
  return text
    .replaceAll("&quot;", '"')
    .replaceAll("&#39;", "'")
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&amp;", "&");
}

/** The form on an HTML page: its action and hidden fields. */
export function readForm(html: string): { action: string; fields: Record<string, string> } {
  const action = /<form[^>]*action="([^"]*)"/.exec(html)?.[1];
  if (!action) throw new Error("no form on the page");
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields[m[1] as string] = unescapeHtml(m[2] as string);
  }
  return { action: unescapeHtml(action), fields };
}

/**
 * Walks the flow with plain HTTP like a browser would: the local page's form to GitHub's create page, its create
 * button, GitHub's redirect; returns the redirect back to the local page (not yet followed).
 */
export async function clickThroughToRedirect(pageUrl: string): Promise<URL> {
  const local = readForm(await (await fetch(`${pageUrl}/`)).text());
  const create = await fetch(local.action, { method: "POST", body: new URLSearchParams(local.fields) });
  if (create.status !== 200) throw new Error(`GitHub's create page answered ${create.status}`);
  const confirm = readForm(await create.text());
  const base = new URL(local.action).origin;
  const redirect = await fetch(new URL(confirm.action, base), {
    method: "POST",
    body: new URLSearchParams(confirm.fields),
    redirect: "manual",
  });
  const location = redirect.headers.get("location");
  if (redirect.status !== 302 || !location)
    throw new Error(`expected GitHub's redirect, got ${redirect.status}`);
  return new URL(location);
}
