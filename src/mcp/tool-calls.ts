/**
 * The tools a JSON-RPC body calls (`tools/call` → `params.name`), one per message, batches included; the
 * audit gate must see a tool call hidden in a batch as well as a single one.
 */
export function toolCallsIn(body: unknown): string[] {
  const messages = Array.isArray(body) ? body : [body];
  const tools: string[] = [];
  for (const message of messages) {
    if (typeof message !== "object" || message === null) continue;
    const { method, params } = message as { method?: unknown; params?: { name?: unknown } };
    if (method !== "tools/call") continue;
    tools.push(typeof params?.name === "string" ? params.name.slice(0, 100) : "unknown");
  }
  return tools;
}
