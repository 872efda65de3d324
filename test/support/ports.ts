/**
 * Ports for tests and benches that must name a port before a process listens on it (a child process, or a
 * broker whose URL the IdP learns first). Binding port 0 and releasing it hands out a port from the
 * kernel's ephemeral range, the same range every outgoing connection and every `listen(0)` in the
 * other test files draws from, so it may be taken again before the test binds it (seen in CI: "the
 * GitHub API emulator cannot listen … the port is in use"). Ports outside that range are never handed
 * out implicitly, so only another test naming the same random port could collide.
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:net";

/** Below this sit the well-known and commonly configured ports (8700–8703 of `repogate local`, databases). */
const LOWEST = 20_000;

/** The kernel's ephemeral range: Linux's default, or the machine's own where /proc has it. */
function ephemeralRange(): { low: number; high: number } {
  try {
    const [low, high] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8")
      .trim()
      .split(/\s+/)
      .map(Number);
    if (Number.isInteger(low) && Number.isInteger(high)) return { low: low as number, high: high as number };
  } catch {
    // Not Linux: assume its default.
  }
  return { low: 32768, high: 60999 };
}

/** Where to pick from: below the ephemeral range, else above it; none when it covers (almost) everything. */
function pickRange(): { from: number; to: number } | undefined {
  const { low, high } = ephemeralRange();
  if (low - 1 - LOWEST >= 1000) return { from: LOWEST, to: low - 1 };
  if (65535 - (high + 1) >= 1000) return { from: high + 1, to: 65535 };
  return undefined;
}

/** True when nothing accepts connections on the port. */
export async function portIsFree(port: number, host = "127.0.0.1"): Promise<boolean> {
  return await new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** A free port outside the ephemeral range, so nothing but an explicit bind can take it meanwhile. */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  const range = pickRange();
  if (!range) return await kernelPort(host); // No room outside the range: the racy way is all there is.
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = range.from + Math.floor(Math.random() * (range.to - range.from + 1));
    if (await portIsFree(port, host)) return port;
  }
  throw new Error(`no free port between ${range.from} and ${range.to} after 100 tries`);
}

/** A port the kernel picks (bind port 0, read it, release it). */
async function kernelPort(host: string): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}
