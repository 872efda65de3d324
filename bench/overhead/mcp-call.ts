/**
 * The tool call the benches measure, as MCP clients send it: `tools/call get_file_contents mycompany/web/README.md`
 * over Streamable HTTP with JSON answers, and how to tell that it succeeded.
 */
export const OWNER = "mycompany";
export const REPO = "web";
export const PATH = "README.md";
/** What the seeded README.md starts with. */
export const EXPECTED_HEADING = "# web";
export const READ_ARGS = { owner: OWNER, repo: REPO, path: PATH };
export const MCP_HEADERS = {
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
};

/** A JSON-RPC `tools/call` body. */
export const toolCall = (id: number, name: string, args: Record<string, unknown>) =>
  JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } });

/** Whether an MCP JSON response is a successful tool result containing `expected`. */
export function toolResultHas(body: string, expected: string): boolean {
  try {
    const parsed = JSON.parse(body) as { result?: { isError?: boolean; content?: { text?: string }[] } };
    if (!parsed.result || parsed.result.isError) return false;
    return (parsed.result.content ?? []).some((c) => (c.text ?? "").includes(expected));
  } catch {
    return false;
  }
}
