/**
 * Bench process 3: the floor. A bare Hono JSON route on @hono/node-server, the same server stack the
 * broker runs on, so "broker − this" is what repogate itself adds.
 */
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { benchChild } from "./child.ts";

const app = new Hono();
app.post("/", async (c) => c.json({ ok: true, echo: await c.req.json() }));
const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 });
await new Promise((resolve) => server.once("listening", resolve));
const address = server.address();
const port = typeof address === "object" && address ? address.port : 0;
benchChild(() => new Promise<void>((resolve) => server.close(() => resolve()))).ready({
  url: `http://127.0.0.1:${port}/`,
});
