/** Request bodies as GitHub reads them: JSON, or 400 `Problems parsing JSON` before anything else is looked at. */
import type { EmulatorContext } from "./context.ts";
import { GitHubApiError } from "./errors.ts";

/** The parsed JSON body, undefined when there is none; an unparsable body is GitHub's 400 (never a 422). */
export async function readJsonBody(c: EmulatorContext, documentationUrl?: string): Promise<unknown> {
  const raw = await c.req.text();
  if (raw.trim() === "") return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new GitHubApiError(400, "Problems parsing JSON", { code: "BAD_JSON", documentationUrl });
  }
}
