/**
 * The emulators' fault switches, driven over their control APIs (`/_emulator/faults` on the GitHub and the AWS
 * emulator) exactly as a test in another process would.
 */

/** A GitHub emulator fault (wrangler-free-local/github/http/faults.ts). */
export interface GitHubFault {
  kind: "secondary-rate-limit" | "primary-rate-limit" | "server-error" | "latency";
  pathPrefix?: string;
  method?: string;
  count?: number;
  status?: number;
  retryAfterSeconds?: number;
  latencyMs?: number;
}

/** An AWS emulator fault (wrangler-free-local/aws/faults.ts). */
export interface AwsFault {
  service: "kms" | "secretsmanager" | "logs";
  kind: "throttle" | "internal" | "unavailable" | "latency";
  operation?: string;
  count?: number;
  latencyMs?: number;
}

async function send(url: string, init: RequestInit): Promise<unknown> {
  const res = await fetch(url, init);
  const text = await res.text();
  if (!res.ok)
    throw new Error(`${init.method ?? "GET"} ${url} answered ${res.status}: ${text.slice(0, 200)}`);
  return text ? (JSON.parse(text) as unknown) : undefined;
}

/** Sets a fault on the GitHub emulator; resolves with its id. */
export async function injectGitHubFault(githubUrl: string, fault: GitHubFault): Promise<number> {
  const created = (await send(`${githubUrl}/_emulator/faults`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(fault),
  })) as { id: number };
  return created.id;
}

/** Clears one GitHub emulator fault. */
export async function clearGitHubFault(githubUrl: string, id: number): Promise<void> {
  await send(`${githubUrl}/_emulator/faults/${id}`, { method: "DELETE" });
}

/** Clears every GitHub emulator fault. */
export async function clearGitHubFaults(githubUrl: string): Promise<void> {
  await send(`${githubUrl}/_emulator/faults`, { method: "DELETE" });
}

/** Sets a fault on the AWS emulator. */
export async function injectAwsFault(awsUrl: string, fault: AwsFault): Promise<void> {
  await send(`${awsUrl}/_emulator/faults`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(fault),
  });
}

/** Clears the AWS emulator's faults of one service. */
export async function clearAwsFaults(awsUrl: string, service: AwsFault["service"]): Promise<void> {
  await send(`${awsUrl}/_emulator/faults?service=${service}`, { method: "DELETE" });
}

/** The AWS emulator's request counts per service and operation. */
export async function awsCalls(awsUrl: string): Promise<Record<string, Record<string, number>>> {
  return (
    (await send(`${awsUrl}/_emulator/calls`, { method: "GET" })) as {
      calls: Record<string, Record<string, number>>;
    }
  ).calls;
}
