/**
 * The production entry points (`repogate serve`, src/server.ts, src/lambda.ts) never load the local emulators
 * (wrangler-free-local/) or the dev IdP's oidc-provider: those are for `repogate local` and `repogate token`, which
 * import them on demand. Each entry point runs in a child Node process whose every loaded module is recorded by a
 * loader hook (module-recorder.mjs), so a stray static import anywhere in the graph shows up here.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const recorder = fileURLToPath(new URL("./module-recorder.mjs", import.meta.url));
const moduleUrl = (path: string) => pathToFileURL(join(root, path)).href;

/** What only local development may load. */
const DEV_ONLY = [
  `${pathToFileURL(join(root, "wrangler-free-local")).href}/`,
  "/node_modules/oidc-provider/",
];
const devOnly = (urls: string[]) => urls.filter((url) => DEV_ONLY.some((part) => url.includes(part)));

let dir: string;
let runs = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "repogate-entry-points-"));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/**
 * Runs `script` (an ES module body) in a child Node process that loads TypeScript through tsx as
 * bin/repogate.js does, and resolves to the URLs of every module it loaded. `whileRunning` may talk to the child
 * (e.g. stop a server) once `ready` appears on its stdout; it is handed that stdout line.
 */
async function loadedModules(
  script: string,
  options: { ready?: string; whileRunning?: (child: ChildProcess, line: string) => Promise<void> } = {},
): Promise<string[]> {
  const trace = join(dir, `modules-${++runs}.txt`);
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--import", pathToFileURL(recorder).href, "--input-type=module", "-e", script],
    {
      cwd: root,
      env: {
        ...process.env,
        REPOGATE_MODULE_TRACE: trace,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "1",
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  let interaction: Promise<void> = Promise.resolve();
  const { ready, whileRunning } = options;
  let waiting = ready !== undefined;
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk;
    const line = waiting && ready ? stdout.split("\n").find((l) => l.includes(ready)) : undefined;
    if (line !== undefined) {
      waiting = false;
      interaction = (whileRunning?.(child, line) ?? Promise.resolve()).catch((error: unknown) => {
        child.kill("SIGKILL");
        throw error;
      });
    }
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk;
  });
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  await interaction;
  expect(exit, `child exited with ${JSON.stringify(exit)}\nstdout: ${stdout}\nstderr: ${stderr}`).toEqual({
    code: 0,
    signal: null,
  });
  return (await readFile(trace, "utf8")).split("\n").filter(Boolean);
}

describe("production entry points", () => {
  it("the recorder sees the emulators and oidc-provider when something does load them", async () => {
    const urls = await loadedModules(`
      const { loadOidcProvider } = await import(${JSON.stringify(moduleUrl("wrangler-free-local/idp/load-oidc-provider.ts"))});
      await loadOidcProvider();
    `);
    expect(urls).toContain(moduleUrl("wrangler-free-local/idp/load-oidc-provider.ts"));
    expect(urls.some((url) => url.includes("/node_modules/oidc-provider/"))).toBe(true);
  });

  it("src/lambda.ts and src/server.ts load neither the emulators nor the dev IdP", async () => {
    const urls = await loadedModules(`
      await import(${JSON.stringify(moduleUrl("src/lambda.ts"))});
      await import(${JSON.stringify(moduleUrl("src/server.ts"))});
    `);
    // The whole broker was loaded (the check below is not vacuous).
    expect(urls).toEqual(
      expect.arrayContaining([moduleUrl("src/repogate.ts"), moduleUrl("src/aws/kms-signer.ts")]),
    );
    expect(devOnly(urls)).toEqual([]);
  });

  it("`repogate serve` starts, serves and stops without loading them", async () => {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const keyPath = join(dir, "app.pem");
    await writeFile(keyPath, privateKey.export({ format: "pem", type: "pkcs8" }));
    const configPath = join(dir, "repogate.json");
    await writeFile(
      configPath,
      JSON.stringify({
        publicUrl: "http://127.0.0.1:8700",
        listen: { host: "127.0.0.1", port: 0 },
        // Nothing is asked of the IdP or GitHub while starting and stopping.
        auth: { oidc: { issuer: "http://127.0.0.1:9/issuer", requiredScopes: ["mcp:tools"] } },
        github: { apiUrl: "http://127.0.0.1:9", appId: 1, signer: { type: "pem", privateKeyPath: keyPath } },
        policy: { file: join(root, "wrangler-free-local/seed/policy.yaml"), watch: false },
        audit: { file: join(dir, "audit", "audit.jsonl") },
        metrics: { exporter: "none" },
        logLevel: "info",
      }),
    );
    const urls = await loadedModules(
      `
      const { main } = await import(${JSON.stringify(moduleUrl("src/cli/main.ts"))});
      await main(["node", "repogate", "serve", "--config", ${JSON.stringify(configPath)}]);
    `,
      {
        ready: "repogate listening",
        // Answered /healthz first: by then `serve` has its SIGTERM handler (the log line comes just before).
        whileRunning: async (child, line) => {
          const { url } = JSON.parse(line) as { url: string };
          const health = await fetch(`${url}/healthz`);
          expect(health.status).toBe(200);
          child.kill("SIGTERM");
        },
      },
    );
    expect(urls).toEqual(
      expect.arrayContaining([
        moduleUrl("src/cli/commands/serve.ts"),
        moduleUrl("src/server.ts"),
        moduleUrl("src/repogate.ts"),
      ]),
    );
    expect(devOnly(urls)).toEqual([]);
    // One replica without rateLimit.redisUrl: the Redis adapter and ioredis stay unloaded.
    expect(
      urls.filter((url) => url.includes("/node_modules/ioredis/") || url.endsWith("rate-limit/redis.ts")),
    ).toEqual([]);
    expect(urls).toContain(moduleUrl("src/http/rate-limit/memory.ts"));
  });
});
