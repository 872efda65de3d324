/** `repogate token` against an IdP that accepts connections but never answers: a prompt, named failure, no hang. */
import { createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { DevLoginError, devLogin } from "../../wrangler-free-local/idp/dev-login-client.ts";

let silent: Server;
const sockets = new Set<Socket>();
let issuer: string;

beforeAll(async () => {
  // Reads the request and never writes a byte back, like a wedged process holding the IdP's port.
  silent = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  const address = silent.address();
  issuer = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => silent.close(() => resolve()));
});

it("gives up after the per-request deadline with IDP_UNREACHABLE", async () => {
  const started = Date.now();
  const failure = devLogin({ issuer, user: "alice@mycompany.example", timeoutMs: 300 });
  await expect(failure).rejects.toBeInstanceOf(DevLoginError);
  await expect(failure).rejects.toMatchObject({ code: "IDP_UNREACHABLE" });
  await expect(failure).rejects.toThrow(/timeout/i);
  expect(Date.now() - started).toBeLessThan(5_000);
});
