/**
 * Validates webhook payloads against GitHub's published schemas (@octokit/webhooks-schemas) with Ajv. Only the
 * definitions the installation events reach are compiled: the whole schema takes Ajv ~20 s of blocked event loop,
 * which would stall the broker running in the same process.
 */
import { createRequire } from "node:module";
import { Ajv, type ValidateFunction } from "ajv";
import * as ajvFormats from "ajv-formats";

const require = createRequire(import.meta.url);
const schema = require("@octokit/webhooks-schemas/schema.json") as { definitions: Record<string, unknown> };

/** Definition names an object refers to (`#/definitions/x`), recursively. */
function refsIn(value: unknown, found: Set<string>): void {
  if (Array.isArray(value)) {
    for (const item of value) refsIn(item, found);
    return;
  }
  if (value === null || typeof value !== "object") return;
  for (const [key, inner] of Object.entries(value)) {
    if (key === "$ref" && typeof inner === "string" && inner.startsWith("#/definitions/")) {
      const name = inner.slice("#/definitions/".length);
      if (!found.has(name)) {
        found.add(name);
        refsIn(schema.definitions[name], found);
      }
    } else {
      refsIn(inner, found);
    }
  }
}

const roots = Object.keys(schema.definitions).filter((name) => /^installation(_repositories)?\$/.test(name));
const needed = new Set(roots);
for (const root of roots) refsIn(schema.definitions[root], needed);
const subset = {
  definitions: Object.fromEntries([...needed].map((name) => [name, schema.definitions[name]])),
};

const ajv = new Ajv({ strict: false, allErrors: true });
// ajv-formats is CommonJS: its function is the default export under Node ESM, the namespace under bundlers.
const addFormats = ((ajvFormats as unknown as { default?: unknown }).default ?? ajvFormats) as (
  a: Ajv,
) => Ajv;
addFormats(ajv);
ajv.addSchema(subset, "webhooks");
const validators = new Map<string, ValidateFunction>();

/** The schema problems of a payload for `event` + `action` (e.g. `installation`, `suspend`); [] when valid. */
export function webhookSchemaProblems(event: string, action: string, payload: unknown): string[] {
  const key = `${event}$${action}`;
  let validate = validators.get(key);
  if (!validate) {
    validate = ajv.getSchema(`webhooks#/definitions/${key}`);
    if (!validate) throw new Error(`no schema for ${event}.${action}`);
    validators.set(key, validate);
  }
  if (validate(payload)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || "(payload)"} ${e.message ?? ""}`);
}
