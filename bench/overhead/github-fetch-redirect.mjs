// Preload for @modelcontextprotocol/server-github in the bench: its requests to api.github.com go to the
// GitHub emulator instead (BENCH_GITHUB_API_URL), so both servers read from the same upstream.
const target = process.env.BENCH_GITHUB_API_URL;
if (!target) throw new Error("BENCH_GITHUB_API_URL is not set");
const GITHUB = "https://api.github.com";
const upstreamFetch = globalThis.fetch;
globalThis.fetch = (input, init) => {
  const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  if (!url.startsWith(`${GITHUB}/`)) return upstreamFetch(input, init);
  return upstreamFetch(`${target}${url.slice(GITHUB.length)}`, init);
};
