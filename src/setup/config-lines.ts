/**
 * The broker settings a setup run produces: printed as YAML lines to paste, or merged into an existing config
 * file (`--write-config`), keeping its other settings and comments.
 */
import { readFile, writeFile } from "node:fs/promises";
import { parseDocument } from "yaml";
import { SetupError } from "./errors.ts";

/** What the setup learnt that the broker's config needs. */
export interface SetupSettings {
  apiUrl: string;
  appId: number;
  clientId: string;
  keyAlias: string;
  region: string;
  webhookSecretArn: string | undefined;
  clientSecretArn: string;
}

/** Dotted config paths and their values (`github.appId` → 123 …). */
function settingsEntries(s: SetupSettings): [string[], unknown][] {
  return [
    [["github", "apiUrl"], s.apiUrl],
    [["github", "appId"], s.appId],
    [["github", "clientId"], s.clientId],
    [["github", "signer"], { type: "kms", keyId: s.keyAlias, region: s.region }],
    [["secrets", "store"], "secretsmanager"],
    ...(s.webhookSecretArn
      ? [[["secrets", "webhookSecret"], s.webhookSecretArn] as [string[], unknown]]
      : []),
  ];
}

/** The YAML lines to paste into the broker's config. */
export function renderConfigLines(s: SetupSettings): string[] {
  return [
    "github:",
    `  apiUrl: ${s.apiUrl}`,
    `  appId: ${s.appId}`,
    `  clientId: ${s.clientId}`,
    `  signer: { type: kms, keyId: ${s.keyAlias}, region: ${s.region} }`,
    "secrets:",
    "  store: secretsmanager",
    ...(s.webhookSecretArn ? [`  webhookSecret: ${s.webhookSecretArn}`] : []),
    `# the App's client secret (not used by the broker): ${s.clientSecretArn}`,
  ];
}

/** Sets the settings in a YAML config file (created when missing); other settings and comments stay. */
export async function writeConfigSettings(file: string, s: SetupSettings): Promise<void> {
  let text = "";
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
      throw new SetupError("CONFIG_WRITE_FAILED", `cannot read ${file}: ${(error as Error).message}`);
    }
  }
  const document = parseDocument(text);
  if (document.errors.length > 0) {
    throw new SetupError(
      "CONFIG_WRITE_FAILED",
      `${file} is not valid YAML (${document.errors[0]?.message}); fix it or paste the printed lines by hand.`,
    );
  }
  for (const [path, value] of settingsEntries(s)) document.setIn(path, value);
  try {
    await writeFile(file, document.toString(), { mode: 0o600 });
  } catch (error) {
    throw new SetupError("CONFIG_WRITE_FAILED", `cannot write ${file}: ${(error as Error).message}`);
  }
}
