/**
 * The soak's load: MCP clients (the SDK's `Client` over Streamable HTTP) of several users calling tools in a loop,
 * each call classified by what came back. A fetch wrapper also checks every HTTP answer of the broker: a 4xx/5xx
 * must carry a JSON-RPC error body. Calls refused because the broker is restarting (connection refused) are
 * retried and counted apart; they are not tool calls.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { PlannedCall, SoakUser } from "./call-plan.ts";

/** How one tool call ended. The last five are defects: the soak fails if any occurs. */
export type CallOutcome =
  | "ok"
  | "denied"
  | "rate-limited"
  | "refused-audit-down"
  | "failed-clear"
  | "internal-error"
  | "failed-unclear"
  | "hung"
  | "wrong-answer"
  | "wrong-decision";

export const DEFECT_OUTCOMES: readonly CallOutcome[] = [
  "internal-error",
  "failed-unclear",
  "hung",
  "wrong-answer",
  "wrong-decision",
];

export interface CallRecord {
  user: string;
  tool: string;
  outcome: CallOutcome;
  /** First 200 characters of the error or result text, for the report's examples. */
  detail?: string;
  startedAt: number;
  endedAt: number;
}

/** HTTP-level figures from the fetch wrapper. */
export interface HttpFigures {
  byStatus: Record<string, number>;
  /** 4xx/5xx answers to a POST whose body is not a JSON-RPC error (the defect the soak looks for). */
  errorsWithoutJsonRpcBody: number;
  examples: string[];
  /** Connection refused/reset while posting (broker stopped or restarting); the call is retried. */
  connectionFailures: number;
}

export interface TrafficOptions {
  mcpUrl: string;
  users: (SoakUser & { token: string })[];
  /** Pause between one call's answer and the next call of a client (not for bursters). */
  thinkMs: number;
  /** A call without an answer after this long counts as hung. */
  callTimeoutMs: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function resultText(result: CallToolResult): string {
  return result.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");
}

/** Classifies a tool result against what the plan expected. */
function classifyResult(
  call: PlannedCall,
  result: CallToolResult,
): { outcome: CallOutcome; detail?: string } {
  const text = resultText(result);
  const detail = text.slice(0, 200);
  if (result.isError !== true) {
    if (call.expect === "deny") return { outcome: "wrong-decision", detail: `allowed: ${detail}` };
    if (call.mustContain && !text.includes(call.mustContain)) return { outcome: "wrong-answer", detail };
    return { outcome: "ok" };
  }
  if (text.startsWith("Access denied")) {
    return call.expect === "deny" ? { outcome: "denied" } : { outcome: "wrong-decision", detail };
  }
  if (text.startsWith("Internal error")) return { outcome: "internal-error", detail };
  // Every other tool error repogate writes names what failed (GitHub's status, the App authentication, a code).
  if (
    /GitHub returned \d{3}|GitHub could not be reached|could not authenticate to GitHub|\[[A-Z_]+\]/.test(
      text,
    )
  ) {
    return { outcome: "failed-clear", detail };
  }
  return { outcome: "failed-unclear", detail };
}

/** Classifies a thrown error: an HTTP refusal with its JSON-RPC body, a JSON-RPC error, a timeout, or neither. */
function classifyError(error: unknown): { outcome: CallOutcome | "connection"; detail: string } {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown }).code;
  const detail = message.slice(0, 200);
  if (isConnectionError(error)) return { outcome: "connection", detail };
  if (code === 429 && message.includes('"jsonrpc"')) return { outcome: "rate-limited", detail };
  if (code === 503 && message.includes('"jsonrpc"') && /audit trail/.test(message)) {
    return { outcome: "refused-audit-down", detail };
  }
  // The SDK's request timeout (McpError RequestTimeout, -32001).
  if (code === -32001) return { outcome: "hung", detail };
  // A JSON-RPC error answered by the server: a clear error with a code.
  if (typeof code === "number" && code < 0) return { outcome: "failed-clear", detail };
  if (typeof code === "number" && code >= 400 && message.includes('"jsonrpc"')) {
    return { outcome: "failed-clear", detail };
  }
  return { outcome: "failed-unclear", detail };
}

function isConnectionError(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (
      typeof code === "string" &&
      ["ECONNREFUSED", "ECONNRESET", "EPIPE", "UND_ERR_SOCKET", "UND_ERR_CLOSED"].includes(code)
    ) {
      return true;
    }
    if (e instanceof TypeError && e.message === "fetch failed" && !(e as { cause?: unknown }).cause)
      return true;
  }
  return false;
}

/** Drives the clients; the orchestrator raises the call budget phase by phase and waits for calls to finish. */
export class Traffic {
  readonly records: CallRecord[] = [];
  readonly http: HttpFigures = {
    byStatus: {},
    errorsWithoutJsonRpcBody: 0,
    examples: [],
    connectionFailures: 0,
  };
  #issued = 0;
  #budget = 0;
  #stopped = false;
  #minimumPause = 0;
  #wakeIssuers: (() => void)[] = [];
  #doneWaiters: { count: number; resolve: () => void }[] = [];
  #loops: Promise<void>[] = [];
  #clients: Client[] = [];
  /** Calls without an answer yet, with what they are doing (for the progress line when something hangs). */
  readonly inFlight = new Map<number, { user: string; tool: string; since: number; state: string }>();
  #nextCallId = 0;
  readonly #options: TrafficOptions;

  constructor(options: TrafficOptions) {
    this.#options = options;
  }

  /** Tool calls started so far. */
  get issued(): number {
    return this.#issued;
  }

  /** Tool calls answered so far. */
  get done(): number {
    return this.records.length;
  }

  /** Connects every client (MCP initialize) and starts their loops; they wait for a budget. */
  async start(): Promise<void> {
    for (const user of this.#options.users) {
      for (let i = 0; i < user.clients; i++) {
        const client = await this.#connect(user, i);
        this.#clients.push(client);
        this.#loops.push(this.#loop(client, user, i));
      }
    }
  }

  /**
   * Every client, bursters included, pauses at least this long between calls (0 to undo): during an outage
   * refused calls come back at once and would use up the budget before the outage has lasted.
   */
  slowDown(minimumPauseMs: number): void {
    this.#minimumPause = minimumPauseMs;
  }

  /** Lets clients start calls until `total` calls have been issued. */
  allow(total: number): void {
    this.#budget = total;
    for (const wake of this.#wakeIssuers.splice(0)) wake();
  }

  /** Resolves once `count` calls have been answered (or timed out). */
  async waitForDone(count: number): Promise<void> {
    if (this.done >= count) return;
    await new Promise<void>((resolve) => this.#doneWaiters.push({ count, resolve }));
  }

  /** Stops the loops once the current budget is used and closes the clients. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const wake of this.#wakeIssuers.splice(0)) wake();
    await Promise.all(this.#loops);
    await Promise.allSettled(this.#clients.map((c) => c.close()));
  }

  async #connect(user: SoakUser & { token: string }, index: number): Promise<Client> {
    // initialize counts against the per-principal limit too: a burster's clients may be told to wait.
    for (let attempt = 1; ; attempt++) {
      const client = new Client({ name: `soak-${user.name}-${index}`, version: "0.0.0" });
      const transport = new StreamableHTTPClientTransport(new URL(this.#options.mcpUrl), {
        requestInit: { headers: { authorization: `Bearer ${user.token}` } },
        fetch: (input, init) => this.#observedFetch(input, init),
      });
      try {
        await client.connect(transport);
        return client;
      } catch (error) {
        if ((error as { code?: unknown }).code !== 429 || attempt >= 20) throw error;
        await sleep(1000);
      }
    }
  }

  /** fetch, plus a look at every answer: an HTTP error must be a JSON-RPC error the client can show. */
  async #observedFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(input, init);
    } catch (error) {
      if (isConnectionError(error)) this.http.connectionFailures += 1;
      throw error;
    }
    const method = init?.method ?? "GET";
    this.http.byStatus[response.status] = (this.http.byStatus[response.status] ?? 0) + 1;
    if (method === "POST" && response.status >= 400) {
      const body = await response.clone().text();
      if (!isJsonRpcError(body)) {
        this.http.errorsWithoutJsonRpcBody += 1;
        if (this.http.examples.length < 5)
          this.http.examples.push(`${response.status}: ${body.slice(0, 160)}`);
      }
    }
    return response;
  }

  async #nextCallSlot(): Promise<boolean> {
    for (;;) {
      if (this.#issued < this.#budget) {
        this.#issued += 1;
        return true;
      }
      if (this.#stopped) return false;
      await new Promise<void>((resolve) => this.#wakeIssuers.push(resolve));
    }
  }

  async #loop(client: Client, user: SoakUser, index: number): Promise<void> {
    let turn = index;
    for (;;) {
      const slots: PlannedCall[] = [];
      // The first call waits for budget; a burst takes only what is left now, so no slot is held while waiting.
      if (!(await this.#nextCallSlot())) return;
      slots.push(user.calls[turn++ % user.calls.length] as PlannedCall);
      while (slots.length < user.burst && this.#issued < this.#budget) {
        this.#issued += 1;
        slots.push(user.calls[turn++ % user.calls.length] as PlannedCall);
      }
      const outcomes = await Promise.all(slots.map((call) => this.#call(client, user, call)));
      const retryAfter = outcomes.includes("rate-limited") ? 1000 : 0;
      const think = user.burst > 1 ? 0 : this.#options.thinkMs;
      const pause = Math.max(think, retryAfter, this.#minimumPause);
      if (pause > 0) await sleep(pause * (0.5 + Math.random()));
    }
  }

  /** One tool call; a refused connection (broker restarting) is retried, not counted as a call. */
  async #call(client: Client, user: SoakUser, call: PlannedCall): Promise<CallOutcome> {
    const firstTry = Date.now();
    const callId = this.#nextCallId++;
    const inFlight = { user: user.name, tool: call.tool, since: firstTry, state: "calling" };
    this.inFlight.set(callId, inFlight);
    for (;;) {
      const startedAt = Date.now();
      let classified: { outcome: CallOutcome | "connection"; detail?: string | undefined };
      try {
        const result = (await client.callTool({ name: call.tool, arguments: call.args }, undefined, {
          timeout: this.#options.callTimeoutMs,
        })) as CallToolResult;
        classified = classifyResult(call, result);
      } catch (error) {
        classified = classifyError(error);
      }
      if (classified.outcome === "connection" && Date.now() - firstTry >= this.#options.callTimeoutMs) {
        // A restart takes seconds; a broker unreachable for a whole call timeout is down, not restarting.
        classified = { outcome: "hung", detail: classified.detail };
      }
      if (classified.outcome === "connection") {
        inFlight.state = `reconnecting: ${classified.detail}`;
        await sleep(200);
        continue;
      }
      this.inFlight.delete(callId);
      this.records.push({
        user: user.name,
        tool: call.tool,
        outcome: classified.outcome,
        ...(classified.detail ? { detail: classified.detail } : {}),
        startedAt,
        endedAt: Date.now(),
      });
      for (const waiter of this.#doneWaiters.filter((w) => this.done >= w.count)) {
        this.#doneWaiters.splice(this.#doneWaiters.indexOf(waiter), 1);
        waiter.resolve();
      }
      return classified.outcome;
    }
  }
}

function isJsonRpcError(body: string): boolean {
  try {
    const parsed = JSON.parse(body) as unknown;
    const messages = Array.isArray(parsed) ? parsed : [parsed];
    return messages.every(
      (m) =>
        typeof m === "object" &&
        m !== null &&
        (m as { jsonrpc?: unknown }).jsonrpc === "2.0" &&
        typeof (m as { error?: { code?: unknown } }).error?.code === "number",
    );
  } catch {
    return false;
  }
}
