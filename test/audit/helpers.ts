import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CloudWatchLogsClient, GetLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import type { AuditEventInput } from "../../src/audit/event.ts";

/** A fresh temp directory and its cleanup. */
export async function tempDir(label: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `repogate-audit-${label}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Every file under dir (recursively), concatenated: what a leaked secret would have to hide in. */
export async function allBytesUnder(dir: string): Promise<string> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const parts: string[] = [];
  for (const entry of entries) {
    if (entry.isFile()) parts.push(await readFile(join(entry.parentPath, entry.name), "utf8"));
  }
  return parts.join("\n");
}

/** A typical tool-call event for a given user and repository. */
export function toolCall(
  n: number,
  user = "alice@mycompany.example",
  repo = "mycompany/api-server",
): AuditEventInput {
  return {
    type: "tool.call",
    principal: { sub: `sub-${user}`, email: user, groups: ["eng"], via: "oidc" },
    request: { id: `req-${n}`, ip: "127.0.0.1", tool: "get_file_contents" },
    resource: { repo, path: `src/file-${n}.ts` },
    operation: "read",
    outcome: "ok",
    latencyMs: n % 50,
  };
}

/** Reads a whole stream from the head with GetLogEvents (paging until the forward token stops moving). */
export async function readStream(
  client: CloudWatchLogsClient,
  logGroupName: string,
  logStreamName: string,
): Promise<{ timestamp: number; message: string }[]> {
  const out: { timestamp: number; message: string }[] = [];
  let token: string | undefined;
  for (;;) {
    const page = await client.send(
      new GetLogEventsCommand({
        logGroupName,
        logStreamName,
        startFromHead: true,
        ...(token ? { nextToken: token } : {}),
      }),
    );
    for (const e of page.events ?? []) out.push({ timestamp: e.timestamp ?? 0, message: e.message ?? "" });
    if (!page.nextForwardToken || page.nextForwardToken === token) return out;
    token = page.nextForwardToken;
  }
}
