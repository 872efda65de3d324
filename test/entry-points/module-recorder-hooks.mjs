// Module loader hooks (run on Node's loader thread): report the URL of every module resolved, after the other
// hooks in the chain (tsx) have had their say, to the port the preload in module-recorder.mjs handed over.
let port;

export function initialize(data) {
  port = data.port;
}

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  port.postMessage(resolved.url);
  return resolved;
}
