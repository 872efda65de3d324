import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

/** The seed file shipped with the repository; `repogate local` uses it unless told otherwise. */
export const DEFAULT_USERS_FILE = fileURLToPath(new URL("../seed/users.yaml", import.meta.url));

const devUserSchema = z
  .object({
    sub: z
      .string()
      .regex(
        /^[A-Za-z0-9._:-]{1,64}$/,
        "sub must be 1-64 characters of letters, digits, '.', '_', ':' or '-'",
      ),
    email: z.email(),
    name: z.string().min(1),
    groups: z.array(z.string().min(1)).default([]),
    admin: z.boolean().default(false),
  })
  .strict();

const usersFileSchema = z
  .object({ users: z.array(devUserSchema).min(1) })
  .strict()
  .superRefine((file, ctx) => {
    const seen = new Map<string, number>();
    file.users.forEach((user, index) => {
      for (const key of [`sub:${user.sub}`, `email:${user.email.toLowerCase()}`]) {
        if (seen.has(key)) {
          ctx.addIssue({
            code: "custom",
            path: ["users", index],
            message: `duplicate ${key.replace(":", " ")} (first used by users[${seen.get(key)}])`,
          });
        }
        seen.set(key, index);
      }
    });
  });

/** A person who can sign in at the dev IdP. */
export type DevUser = z.infer<typeof devUserSchema>;

/** Raised when the users file is missing or does not match the schema. */
export class DevUsersFileError extends Error {
  readonly code = "IDP_USERS_FILE_INVALID";
  constructor(file: string, detail: string) {
    super(`dev IdP users file ${file} ${detail}`);
    this.name = "DevUsersFileError";
  }
}

/** Validates already-parsed users-file content (a `{ users: [...] }` object). */
export function parseDevUsers(content: unknown, source = "<inline>"): DevUser[] {
  const result = usersFileSchema.safeParse(content);
  if (!result.success) {
    const detail = result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    throw new DevUsersFileError(source, `is invalid: ${detail}`);
  }
  return result.data.users;
}

/** Reads and validates a YAML users file such as `wrangler-free-local/seed/users.yaml`. */
export async function loadDevUsers(file: string = DEFAULT_USERS_FILE): Promise<DevUser[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    throw new DevUsersFileError(file, `cannot be read (${(cause as NodeJS.ErrnoException).code ?? cause})`);
  }
  let content: unknown;
  try {
    content = parseYaml(text);
  } catch (cause) {
    throw new DevUsersFileError(file, `is not valid YAML (${(cause as Error).message})`);
  }
  return parseDevUsers(content, file);
}
