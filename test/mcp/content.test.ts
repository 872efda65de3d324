/** Pure helpers of the MCP layer: text/binary decoding with byte caps, capped stream reads, search scoping. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeContent, describeBinaryType, readAtMost, truncateUtf8 } from "../../src/mcp/content.ts";
import { isExcluded, parseSearchScope } from "../../src/mcp/search-scope.ts";

const utf8 = (s: string) => new TextEncoder().encode(s);

describe("decodeContent", () => {
  it("never returns more than max bytes, never splits a character, and says when it cut", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "grapheme", maxLength: 200 }),
        fc.integer({ min: 1, max: 400 }),
        (text, max) => {
          const bytes = utf8(text);
          const decoded = decodeContent(bytes, max);
          if (decoded.kind !== "text") return text.includes("\u0000");
          expect(decoded.returnedBytes).toBeLessThanOrEqual(max);
          expect(utf8(decoded.text).byteLength).toBe(decoded.returnedBytes);
          expect(text.startsWith(decoded.text)).toBe(true);
          expect(decoded.truncated).toBe(bytes.byteLength > decoded.returnedBytes);
          return true;
        },
      ),
    );
  });

  it("treats input already cut upstream as truncated and drops a trailing partial character", () => {
    const bytes = utf8("aé").subarray(0, 2);
    const decoded = decodeContent(bytes, 10, true);
    expect(decoded).toEqual({ kind: "text", text: "a", returnedBytes: 1, truncated: true });
  });

  it("calls NUL bytes and invalid UTF-8 binary, naming known formats", () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]);
    expect(decodeContent(png, 100)).toEqual({ kind: "binary", type: "PNG image" });
    expect(decodeContent(new Uint8Array([0xff, 0xfe, 0x41]), 100)).toMatchObject({
      kind: "binary",
      type: expect.stringContaining("not valid UTF-8"),
    });
    expect(describeBinaryType(new Uint8Array([1, 2, 3]))).toBe("binary data of unknown type");
  });
});

describe("readAtMost", () => {
  it("stops reading at the cap and cancels the rest", async () => {
    let cancelled = false;
    let pulls = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulls++;
        controller.enqueue(new Uint8Array(64).fill(65));
      },
      cancel() {
        cancelled = true;
      },
    });
    const read = await readAtMost(stream, 100);
    expect(read.bytes.byteLength).toBe(100);
    expect(read.truncated).toBe(true);
    expect(cancelled).toBe(true);
    expect(pulls).toBeLessThan(5);
  });

  it("reads a short body whole", async () => {
    const read = await readAtMost(new Response("hello").body, 100);
    expect(new TextDecoder().decode(read.bytes)).toBe("hello");
    expect(read.truncated).toBe(false);
  });
});

describe("parseSearchScope", () => {
  it("takes repo:/org:/user: qualifiers out and keeps the rest", () => {
    const scope = parseSearchScope(
      'useState repo:facebook/react org:MyCompany path:src "exact phrase" -repo:a/b',
    );
    expect(scope.text).toBe('useState path:src "exact phrase"');
    expect(scope.repositories).toEqual(["facebook/react"]);
    expect(scope.owners).toEqual(["MyCompany"]);
    expect(isExcluded(scope, "A/B")).toBe(true);
    expect(isExcluded(scope, "facebook/react")).toBe(false);
  });

  it("handles quoted and upper-case qualifiers", () => {
    const scope = parseSearchScope('x REPO:"othercorp/secret" User:someone');
    expect(scope.repositories).toEqual(["othercorp/secret"]);
    expect(scope.owners).toEqual(["someone"]);
    expect(scope.text).toBe("x");
  });

  it("refuses malformed qualifiers and queries made only of qualifiers", () => {
    expect(() => parseSearchScope("x repo:../etc")).toThrow(/not a valid GitHub repository name/);
    expect(() => parseSearchScope("x org:bad_owner!")).toThrow(/not a valid owner/);
    expect(() => parseSearchScope("repo:a/b path:src")).toThrow(/at least one search term/);
    expect(() => parseSearchScope("x (repo:othercorp/secret)")).toThrow(/must stand alone/);
    expect(() => parseSearchScope("x OR repo:othercorp/secret")).toThrow(/cannot be combined/);
    expect(parseSearchScope("x OR y").text).toBe("x OR y");
    expect(parseSearchScope('"see repo:docs" x').text).toBe('"see repo:docs" x');
  });
});

describe("truncateUtf8", () => {
  it("never exceeds the byte cap and never splits a character (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), fc.nat(64), (text, max) => {
        const cut = truncateUtf8(text, max);
        expect(Buffer.byteLength(cut, "utf8")).toBeLessThanOrEqual(Math.max(max, 0));
        expect(text.startsWith(cut)).toBe(true);
        if (Buffer.byteLength(text, "utf8") <= max) expect(cut).toBe(text);
      }),
    );
  });
});
