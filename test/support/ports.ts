/**
 * Ports for tests that must name a port before a process listens on it (a child process, or a
 * broker whose URL the IdP learns first). Binding port 0 and releasing it hands out a port from the
 * kernel's ephemeral range, the same range every outgoing connection and every `listen(0)` in the
 * other test files draws from, so it may be taken again before the test binds it (seen in CI: "the
 * GitHub API emulator cannot listen … the port is in use"). Ports below that range are never handed
 * out implicitly, so only another test naming the same random port could collide.
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:net";

/** Linux's default ephemeral range starts at 32768; read the machine's own where it exists. */
function ephemeralRangeStart(): number {
  try {
    const [low] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/);
    const start = Number(low);
    return Number.isInteger(start) && start > 1024 ? start : 32768;
  } catch {
    return 32768;
  }
}

const LOWEST = 20_000;

/** True when nothing accepts connections on the port. */
export async function portIsFree(port: number, host = "127.0.0.1"): Promise<boolean> {
  return await new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** A free port below the ephemeral range, so nothing but an explicit bind can take it meanwhile. */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  const highest = ephemeralRangeStart() - 1;
  if (highest <= LOWEST)
    throw new Error(`no port range below the ephemeral range (${highest + 1}) to pick from`);
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * (highest - LOWEST + 1));
    if (await portIsFree(port, host)) return port;
  }
  throw new Error(`no free port between ${LOWEST} and ${highest} after 100 tries`);
}
