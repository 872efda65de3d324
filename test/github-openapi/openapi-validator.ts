/**
 * GitHub's OpenAPI description (`@octokit/openapi`, api.github.com) as a response validator: finds the
 * operation for a method + concrete path, and checks status, content type, documented headers and the
 * body against that operation's schema with ajv.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Ajv, type ErrorObject, type Options, type ValidateFunction } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
import * as ajvFormats from "ajv-formats";

type Json = Record<string, unknown>;

/** Where ajv finds the description: every `$ref` in it resolves against this id. */
const ROOT_ID = "https://api.github.com/openapi.json";
/** Path parameters GitHub lets span segments when they end the template. */
const MULTI_SEGMENT_PARAMS = new Set([
  "path",
  "dir",
  "branch",
  "ref",
  "basehead",
  "head",
  "tree_sha",
  "commit_sha",
]);
const METHODS = ["get", "put", "post", "delete", "patch", "head", "options"] as const;

export interface MatchedOperation {
  method: string;
  /** The `paths` key, e.g. `/repos/{owner}/{repo}/contents/{path}`. */
  template: string;
  operationId: string;
  documentedStatuses: string[];
}

export interface ObservedResponse {
  status: number;
  headers: Headers;
  /** The request's Accept header: selects a documented vendor media type (e.g. `application/vnd.github.object`). */
  accept?: string;
  bodyText: string;
}

export interface ValidationOutcome {
  /** Human-readable problems; empty means the response matches the description. */
  problems: string[];
  /** The media type key of the description the body was checked against, if any. */
  mediaType?: string;
}

interface CompiledTemplate {
  method: string;
  template: string;
  operationId: string;
  regex: RegExp;
  literalLength: number;
}

/** JSON pointer escaping (RFC 6901). */
function pointer(...parts: string[]): string {
  return `#/${parts.map((p) => p.replace(/~/g, "~0").replace(/\//g, "~1")).join("/")}`;
}

/**
 * OpenAPI 3.0 `nullable: true` in JSON Schema terms: `type` gains `"null"` (and `enum` gains `null`);
 * schemas without `type` (e.g. `allOf: [$ref]`) become `anyOf: [{type: null}, schema]`. Done in place.
 */
export function convertNullable(node: unknown): unknown {
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) node[i] = convertNullable(node[i]);
    return node;
  }
  if (node === null || typeof node !== "object") return node;
  const schema = node as Json;
  for (const [key, value] of Object.entries(schema)) {
    // Examples are data, not schemas: a `nullable` key there means nothing.
    if (key === "example" || key === "examples") continue;
    schema[key] = convertNullable(value);
  }
  if (schema.nullable !== true) return schema;
  delete schema.nullable;
  if (typeof schema.type === "string") {
    schema.type = [schema.type, "null"];
    if (Array.isArray(schema.enum) && !schema.enum.includes(null)) schema.enum.push(null);
    return schema;
  }
  return { anyOf: [{ type: "null" }, schema] };
}

function formatError(e: ErrorObject): string {
  const where = e.instancePath === "" ? "(body)" : e.instancePath;
  const params = Object.keys(e.params).length > 0 ? ` ${JSON.stringify(e.params)}` : "";
  return `${where} ${e.message ?? "is invalid"}${params} [schema ${e.schemaPath}]`;
}

/** The documented media type key for a response: the Accept's vendor type first, then the content type. */
function mediaTypeKey(
  content: Json,
  responseContentType: string | null,
  accept: string | undefined,
): string | undefined {
  const normalise = (type: string) => type.split(";")[0]?.trim().toLowerCase().replace(".v3.", ".") ?? "";
  const candidates: string[] = [];
  const actual = responseContentType ? normalise(responseContentType) : "";
  // GitHub answers JSON vendor types (e.g. `vnd.github.object`) with `application/json`.
  if (accept && actual === "application/json") {
    for (const part of accept.split(",")) candidates.push(normalise(part).replace(/\+json$/, ""));
  }
  candidates.push(actual);
  return candidates.find((c) => c in content && c !== "");
}

/** The api.github.com OpenAPI description, loaded once, with ajv validators compiled on demand. */
export class GitHubOpenApi {
  readonly version: string;
  private readonly doc: Json;
  private readonly ajv: Ajv;
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly templates: CompiledTemplate[] = [];

  private constructor(doc: Json) {
    this.doc = doc;
    this.version = String(doc.openapi);
    const is31 = this.version.startsWith("3.1");
    // 3.1 schemas are JSON Schema 2020-12 (type arrays for null); 3.0 needs `nullable` rewritten.
    if (!is31) {
      convertNullable((doc.components as Json).schemas);
      convertNullable((doc.components as Json).headers);
      for (const item of Object.values(doc.paths as Json)) {
        for (const method of METHODS) {
          const op = (item as Json)[method] as Json | undefined;
          if (op?.responses) convertNullable(op.responses);
        }
      }
    }
    const options: Options = {
      strict: false, // OpenAPI's `example`, `discriminator`, `x-*` keywords are annotations here
      allErrors: true,
      validateSchema: false,
      addUsedSchema: false,
    };
    this.ajv = is31 ? (new Ajv2020(options) as unknown as Ajv) : new Ajv(options);
    const addFormats = ((ajvFormats as unknown as { default?: unknown }).default ?? ajvFormats) as (
      ajv: Ajv,
    ) => Ajv;
    addFormats(this.ajv);
    // Formats GitHub's description uses that JSON Schema does not define.
    this.ajv.addFormat("timestamp", { type: "number", validate: (n: number) => Number.isInteger(n) });
    this.ajv.addFormat("repo.nwo", /^[^/\s]+\/[^/\s]+$/);
    this.ajv.addSchema({ $id: ROOT_ID, paths: doc.paths, components: doc.components });

    for (const [template, item] of Object.entries(doc.paths as Json)) {
      for (const method of METHODS) {
        const op = (item as Json)[method] as Json | undefined;
        if (!op) continue;
        const params = [...template.matchAll(/\{[^}]+\}/g)].length;
        let paramIndex = 0;
        const source = template
          .split(/(\{[^}]+\})/)
          .map((part) => {
            if (!part.startsWith("{")) return part.replace(/[.*+?^$()|[\]\\]/g, "\\$&");
            paramIndex++;
            const name = part.slice(1, -1);
            // Names and refs may hold `/` when they end the path (`{path}`, `{branch}`, `{basehead}`…);
            // `{path}` may be empty: `contents/` is the repository root, as octokit sends it.
            if (paramIndex !== params || !MULTI_SEGMENT_PARAMS.has(name)) return "([^/]+)";
            return name === "path" ? "(.*)" : "(.+)";
          })
          .join("");
        this.templates.push({
          method,
          template,
          operationId: String(op.operationId),
          regex: new RegExp(`^${source}$`),
          literalLength: template.replace(/\{[^}]+\}/g, "").length,
        });
      }
    }
  }

  /** A validator over an already parsed description (mutated in place for OpenAPI 3.0). */
  static fromDocument(doc: Record<string, unknown>): GitHubOpenApi {
    return new GitHubOpenApi(doc);
  }

  /** Reads `generated/api.github.com.json` from the installed `@octokit/openapi`. */
  static load(): GitHubOpenApi {
    const require = createRequire(import.meta.url);
    const packageDir = dirname(require.resolve("@octokit/openapi/package.json"));
    const text = readFileSync(join(packageDir, "generated", "api.github.com.json"), "utf8");
    return new GitHubOpenApi(JSON.parse(text) as Json);
  }

  /**
   * Every operation whose method and path template fit a concrete, still percent-encoded path, best
   * first: single-segment matches before a greedy last parameter, then the most literal text.
   */
  matchOperations(method: string, path: string): MatchedOperation[] {
    const wanted = method.toLowerCase();
    return this.templates
      .filter((t) => t.method === wanted)
      .map((t) => ({ t, m: t.regex.exec(path) }))
      .filter((x): x is { t: CompiledTemplate; m: RegExpExecArray } => x.m !== null)
      .map(({ t, m }) => ({ t, slashes: m.slice(1).some((g) => g.includes("/")) ? 1 : 0 }))
      .sort((a, b) => a.slashes - b.slashes || b.t.literalLength - a.t.literalLength)
      .map(({ t }) => ({
        method: t.method,
        template: t.template,
        operationId: t.operationId,
        documentedStatuses: Object.keys(this.operation(t).responses as Json),
      }));
  }

  /** The operation with this id, for a request to a path the description does not list (see `undescribedPath`). */
  operationById(operationId: string): MatchedOperation | undefined {
    const t = this.templates.find((candidate) => candidate.operationId === operationId);
    if (!t) return undefined;
    return {
      method: t.method,
      template: t.template,
      operationId: t.operationId,
      documentedStatuses: Object.keys(this.operation(t).responses as Json),
    };
  }

  private operation(match: { template: string; method: string }): Json {
    return ((this.doc.paths as Json)[match.template] as Json)[match.method] as Json;
  }

  private validator(ref: string): ValidateFunction {
    let validate = this.validators.get(ref);
    if (!validate) {
      validate = this.ajv.compile({ $ref: `${ROOT_ID}${ref}` });
      this.validators.set(ref, validate);
    }
    return validate;
  }

  /** Resolves a local `$ref` (one level, as `components/responses` and `components/headers` use). */
  private deref(node: Json, at: string): { node: Json; at: string } {
    const ref = node.$ref;
    if (typeof ref !== "string") return { node, at };
    let target: unknown = this.doc;
    for (const part of ref.slice(2).split("/")) {
      target = (target as Json)[part.replace(/~1/g, "/").replace(/~0/g, "~")];
    }
    return { node: target as Json, at: ref };
  }

  /** Validates a JSON body against a named `components/schemas` entry (e.g. `basic-error`). */
  validateComponent(name: string, body: unknown): string[] {
    const validate = this.validator(pointer("components", "schemas", name));
    return validate(body) ? [] : (validate.errors ?? []).map(formatError);
  }

  /** Checks a response against the operation: documented status, content type, headers and body schema. */
  validateResponse(match: MatchedOperation, response: ObservedResponse): ValidationOutcome {
    const problems: string[] = [];
    const status = String(response.status);
    const responses = this.operation(match).responses as Json;
    const documented = responses[status] ?? responses.default;
    if (!documented) {
      return {
        problems: [
          `status ${status} is not documented for ${match.operationId} (documented: ${match.documentedStatuses.join(", ")})`,
        ],
      };
    }
    const base = responses[status] ? status : "default";
    const { node, at } = this.deref(
      documented as Json,
      pointer("paths", match.template, match.method, "responses", base),
    );

    for (const [name, rawHeader] of Object.entries((node.headers ?? {}) as Json)) {
      const header = this.deref(
        rawHeader as Json,
        `${at}/headers/${name.replace(/~/g, "~0").replace(/\//g, "~1")}`,
      );
      const value = response.headers.get(name);
      if (value === null) {
        if (header.node.required === true) problems.push(`required header ${name} is missing`);
        continue;
      }
      if (!header.node.schema) continue;
      const type = (header.node.schema as Json).type;
      const typed =
        (type === "integer" || type === "number") && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
      const validate = this.validator(`${header.at}/schema`);
      if (!validate(typed)) {
        for (const e of validate.errors ?? [])
          problems.push(`header ${name}: ${JSON.stringify(value)} ${formatError(e)}`);
      }
    }

    const content = node.content as Json | undefined;
    if (!content) {
      if (response.bodyText !== "")
        problems.push(`status ${status} documents no body, got ${response.bodyText.length} bytes`);
      return { problems };
    }
    const contentType = response.headers.get("content-type");
    const mediaType = mediaTypeKey(content, contentType, response.accept);
    if (!mediaType) {
      problems.push(
        `content type ${contentType ?? "(none)"} is not documented (documented: ${Object.keys(content).join(", ")})`,
      );
      return { problems };
    }
    const isJson =
      mediaType === "application/json" ||
      mediaType.endsWith("+json") ||
      contentType?.startsWith("application/json") === true;
    let body: unknown = response.bodyText;
    if (isJson) {
      try {
        body = JSON.parse(response.bodyText);
      } catch (err) {
        problems.push(`body is not JSON: ${(err as Error).message}`);
        return { problems, mediaType };
      }
    }
    const schemaRef = `${at}/content/${mediaType.replace(/~/g, "~0").replace(/\//g, "~1")}/schema`;
    const validate = this.validator(schemaRef);
    if (!validate(body)) problems.push(...(validate.errors ?? []).map(formatError));
    return { problems, mediaType };
  }
}
