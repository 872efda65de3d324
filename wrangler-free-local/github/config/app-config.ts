/**
 * The emulated GitHub App and its installations, loaded from `seed/github-app.yaml`.
 * Text in, validated objects out: the routes never see raw YAML.
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

const accessLevel = z.enum(["read", "write", "admin"]);
const permissionsSchema = z.record(z.string().regex(/^[a-z_]+$/), accessLevel);
const accountType = z.enum(["Organization", "User"]);
const isoDate = z.string().datetime({ offset: true });

const appSchema = z.object({
  id: z.number().int().positive(),
  client_id: z.string().regex(/^Iv[0-9A-Za-z.]+$/, "client_id looks like Iv23li…"),
  slug: z.string().regex(/^[a-z0-9-]+$/),
  name: z.string().min(1),
  description: z.string().nullable().default(null),
  external_url: z.string().url(),
  owner: z.object({ login: z.string().min(1), type: accountType }),
  permissions: permissionsSchema,
  events: z.array(z.string()).default([]),
  created_at: isoDate,
  updated_at: isoDate,
});

const installationSchema = z
  .object({
    id: z.number().int().positive(),
    account: z.object({ login: z.string().min(1), type: accountType }),
    repository_selection: z.enum(["all", "selected"]),
    repositories: z.array(z.string().min(1)).optional(),
    permissions: permissionsSchema,
    events: z.array(z.string()).default([]),
    created_at: isoDate,
    /** Set while an admin has the installation suspended: GitHub mints no token for it. */
    suspended_at: isoDate.nullable().default(null),
  })
  .refine((i) => i.repository_selection === "all" || (i.repositories?.length ?? 0) > 0, {
    message: "repository_selection `selected` needs a non-empty `repositories` list",
  });

const configSchema = z
  .object({ app: appSchema, installations: z.array(installationSchema) })
  .refine((c) => new Set(c.installations.map((i) => i.id)).size === c.installations.length, {
    message: "installation ids must be unique",
  })
  .refine(
    (c) => new Set(c.installations.map((i) => i.account.login.toLowerCase())).size === c.installations.length,
    { message: "an account has at most one installation of the App" },
  );

export type Permissions = z.infer<typeof permissionsSchema>;
export type AppDefinition = z.infer<typeof appSchema>;
export type InstallationDefinition = z.infer<typeof installationSchema>;
export type GitHubAppConfig = z.infer<typeof configSchema>;

/** Validates one installation (the control API adds installations at run time). */
export function parseInstallation(value: unknown): InstallationDefinition {
  return installationSchema.parse(value);
}

/** Raised when github-app.yaml is missing or does not match the schema. */
export class AppConfigError extends Error {
  readonly code = "GITHUB_APP_CONFIG_INVALID";
  constructor(file: string, detail: string) {
    super(`GitHub emulator App config ${file} is invalid: ${detail}. Fix the file and restart the emulator.`);
    this.name = "AppConfigError";
  }
}

/** The seed directory shipped with the repository (wrangler-free-local/seed). */
export const defaultSeedDir = fileURLToPath(new URL("../../seed", import.meta.url));

/** Validates an already-parsed App config object. */
export function parseAppConfig(value: unknown, source = "<inline>"): GitHubAppConfig {
  const result = configSchema.safeParse(value);
  if (!result.success) {
    const detail = result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    throw new AppConfigError(source, detail);
  }
  return result.data;
}

/** Reads and validates `<seedDir>/github-app.yaml`. */
export async function loadAppConfig(seedDir: string = defaultSeedDir): Promise<GitHubAppConfig> {
  const file = `${seedDir}/github-app.yaml`;
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new AppConfigError(file, `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return parseAppConfig(parseYaml(text), file);
}
