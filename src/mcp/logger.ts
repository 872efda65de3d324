/**
 * What the MCP layer logs through: pino's `(fields, message)` call shape, so a pino logger can be
 * passed as is. Fields never carry a token, a JWT or a key.
 */
export interface McpLogger {
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** Writes one JSON line per entry to stderr; the default when no logger is injected. */
export const stderrLogger: McpLogger = {
  warn: (fields, message) =>
    process.stderr.write(`${JSON.stringify({ level: "warn", message, ...fields })}\n`),
  error: (fields, message) =>
    process.stderr.write(`${JSON.stringify({ level: "error", message, ...fields })}\n`),
};
