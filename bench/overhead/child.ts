/**
 * The child side of a bench process: answers the driver's `usage` question over IPC (CPU time and RSS,
 * measured by the process itself), announces readiness with one JSON line on stdout, and stops when asked
 * or when the driver goes away, so no process outlives a run. Stopping is an IPC message rather than
 * SIGTERM because tsx's loader ends the process on SIGTERM before any handler (or --cpu-prof) runs.
 */
export function benchChild(stop: () => Promise<void>): { ready(info: Record<string, unknown>): void } {
  process.on("message", (message: unknown) => {
    const usage = message as { usage?: number };
    if (typeof usage === "object" && usage !== null && typeof usage.usage === "number") {
      const cpu = process.cpuUsage();
      const memory = process.memoryUsage();
      process.send?.({
        id: usage.usage,
        cpuMicros: cpu.user + cpu.system,
        rssBytes: memory.rss,
        heapUsedBytes: memory.heapUsed,
      });
    } else if (message === "stop") {
      shutdown();
    }
  });
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", shutdown);
  process.on("disconnect", shutdown);
  return { ready: (info) => console.log(JSON.stringify({ ready: true, ...info })) };
}
