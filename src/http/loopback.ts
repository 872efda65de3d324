/** The names that reach this machine's loopback interface, as a URL's hostname spells them. */
export const LOOPBACK_NAMES: readonly string[] = ["localhost", "127.0.0.1", "[::1]"];

/** Whether a URL hostname (lower-cased by URL) names loopback. */
export function isLoopbackHostname(hostname: string): boolean {
  return LOOPBACK_NAMES.includes(hostname.toLowerCase());
}

/** Whether an http(s) URL points at this machine (a local emulator endpoint, say); false for anything unparsable. */
export function isLoopbackUrl(url: string | undefined): boolean {
  if (url === undefined) return false;
  try {
    const parsed = new URL(url);
    return (
      (parsed.protocol === "http:" || parsed.protocol === "https:") && isLoopbackHostname(parsed.hostname)
    );
  } catch {
    return false;
  }
}
