import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  compilePattern,
  matchSegment,
  OPERATIONS,
  type Operation,
  PolicyEngine,
  parsePolicy,
  parseRepositoryName,
  patternProblem,
} from "../../src/policy/index.ts";

// ---- Reference implementation: deliberately naive, written from the spec, sharing no code with src/. ----

/** Folds ASCII letters only; any other code point stays itself (so K, ı, ſ, fullwidth never become ASCII). */
const fold = (c: string) => (c >= "A" && c <= "Z" ? String.fromCharCode(c.charCodeAt(0) + 32) : c);

/** Recursive glob over code points of the whole `owner/repo`: `*` and `?` never consume a `/`. */
function referenceMatch(pattern: string, name: string): boolean {
  const p = Array.from(pattern);
  const s = Array.from(name);
  const memo = new Map<string, boolean>();
  const go = (i: number, j: number): boolean => {
    const key = `${i},${j}`;
    const hit = memo.get(key);
    if (hit !== undefined) return hit;
    let result: boolean;
    if (i === p.length) result = j === s.length;
    else if (p[i] === "*") result = go(i + 1, j) || (j < s.length && s[j] !== "/" && go(i, j + 1));
    else if (p[i] === "?") result = j < s.length && s[j] !== "/" && go(i + 1, j + 1);
    else result = j < s.length && fold(p[i] as string) === fold(s[j] as string) && go(i + 1, j + 1);
    memo.set(key, result);
    return result;
  };
  return go(0, 0);
}

/** The strict name check of reliability-anchors §6.2 (owner leniency on consecutive hyphens as documented). */
function referenceValid(name: string): boolean {
  const m = /^([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)\/([A-Za-z0-9._-]{1,100})$/.exec(name);
  if (!m) return false;
  const owner = m[1] as string;
  const repo = m[2] as string;
  return owner.length <= 39 && repo !== "." && repo !== ".." && !/\.(git|wiki)$/i.test(repo);
}

// ---- Generators ----

const nameChar = fc.constantFrom(..."aAbBzZ019.-_");
const patternChar = fc.constantFrom(..."aAbBzZ019.-_*?");
const tricky = fc.constantFrom(
  "/",
  "..",
  ".",
  "%2e",
  "%2E%2e",
  "%2F",
  "%00",
  "\u212A", // Kelvin sign, lower-cases to "k"
  "\u0131", // dotless i
  "\u017F", // long s, upper-cases to "S"
  "\uFF41", // fullwidth a
  "\u0430", // Cyrillic a
  "\u200B", // zero-width space
  "\u0301", // combining acute
  " ",
  "\t",
  "\n",
  "\u0000",
  "\\",
  "#",
  "?",
  "*",
  "|",
  "(",
  "[",
  "+",
  ".git",
  ".wiki",
  "-",
);
const word = (char: fc.Arbitrary<string>, max = 8) =>
  fc.array(char, { minLength: 0, maxLength: max }).map((a) => a.join(""));
const segment = word(fc.oneof({ weight: 10, arbitrary: nameChar }, { weight: 1, arbitrary: tricky }));
const candidateName = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(segment, segment).map(([o, r]) => `${o}/${r}`) },
  { weight: 1, arbitrary: fc.tuple(segment, segment, segment).map((s) => s.join("/")) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 20 }) },
);
const validPattern = fc
  .tuple(word(patternChar, 6), word(patternChar, 6))
  .map(([o, r]) => `${o}/${r}`)
  .filter((p) => patternProblem(p) === null);
const ruleArb = fc.record({ pattern: validPattern, operations: fc.subarray([...OPERATIONS]) });
const operationArb = fc.constantFrom<Operation>(...OPERATIONS);

/** A name built from a pattern (wildcards filled in, case flipped), so matches are common, not a fluke. */
function instantiate(pattern: string): fc.Arbitrary<string> {
  const parts = Array.from(pattern).map((c) => {
    if (c === "*") return word(nameChar, 3);
    if (c === "?") return nameChar;
    return fc.boolean().map((up) => (up ? c.toUpperCase() : c.toLowerCase()));
  });
  return fc.tuple(...parts).map((chars) => chars.join(""));
}

/** Sometimes damages a name: a tricky fragment spliced in at some position. */
const maybeDamaged = (name: fc.Arbitrary<string>) =>
  fc.oneof(
    { weight: 3, arbitrary: name },
    {
      weight: 1,
      arbitrary: fc.tuple(name, tricky, fc.nat()).map(([n, t, at]) => {
        const i = at % (n.length + 1);
        return n.slice(0, i) + t + n.slice(i);
      }),
    },
    {
      // One character swapped for another name character: near misses such as "web.app" vs "webXapp".
      weight: 2,
      arbitrary: fc.tuple(name, nameChar, fc.nat()).map(([n, c, at]) => {
        const i = at % Math.max(n.length, 1);
        return n.slice(0, i) + c + n.slice(i + 1);
      }),
    },
  );

/** Rules plus a name that is either random or derived from one of the rules. */
const rulesAndName = fc.array(ruleArb, { minLength: 1, maxLength: 5 }).chain((rules) =>
  fc.tuple(
    fc.constant(rules),
    fc.oneof(
      candidateName,
      fc.constantFrom(...rules).chain((r) => maybeDamaged(instantiate(r.pattern))),
    ),
  ),
);

function flipCase(s: string, mask: number[]): string {
  return Array.from(s)
    .map((c, i) => ((mask[i % mask.length] ?? 0) % 2 ? c.toUpperCase() : c.toLowerCase()))
    .join("");
}

const principal = { sub: "someone", groups: [] };

describe("matcher vs reference implementation (fast-check)", () => {
  it("matchSegment agrees with the reference on single segments", () => {
    // A small alphabet so that matches are frequent enough to test both answers.
    const smallNameChar = fc.constantFrom(..."aAb.");
    const smallPatternChar = fc.constantFrom(..."aAb.*?");
    let matches = 0;
    fc.assert(
      fc.property(word(smallPatternChar, 8), word(smallNameChar, 10), (p, s) => {
        const expected = referenceMatch(p, s);
        expect(matchSegment(p.toLowerCase(), s.toLowerCase())).toBe(expected);
        if (expected) matches++;
      }),
      { numRuns: 5000 },
    );
    expect(matches).toBeGreaterThan(250);
  });

  it("parseRepositoryName accepts exactly what the strict reference accepts, and canonicalises by ASCII folding", () => {
    fc.assert(
      fc.property(candidateName, (name) => {
        let canonical: string | null = null;
        try {
          canonical = parseRepositoryName(name).canonical;
        } catch (error) {
          expect((error as { code?: string }).code).toBe("INVALID_REPOSITORY_NAME");
        }
        expect(canonical !== null).toBe(referenceValid(name));
        if (canonical !== null) {
          expect(canonical).toBe(Array.from(name).map(fold).join(""));
          expect(referenceValid(canonical)).toBe(true);
        }
      }),
      { numRuns: 5000 },
    );
  });

  it("decisions follow the reference: allowed ⇒ valid name, and the first reference-matching rule decides", () => {
    const stats = { valid: 0, matched: 0 };
    fc.assert(
      fc.property(rulesAndName, operationArb, ([rules, name], operation) => {
        const yaml = [
          "version: 1",
          "repositories:",
          ...rules.flatMap((r) => [
            `  - pattern: ${JSON.stringify(r.pattern)}`,
            `    operations: [${r.operations.join(", ")}]`,
          ]),
        ].join("\n");
        const engine = new PolicyEngine(parsePolicy(yaml));
        const d = engine.decide({ principal, repository: name, operation });
        if (!referenceValid(name)) {
          expect(d.allowed).toBe(false);
          expect(d.code).toBe("INVALID_REPOSITORY_NAME");
          return;
        }
        const first = rules.findIndex((r) => referenceMatch(r.pattern, name));
        expect(d.ruleIndex).toBe(first === -1 ? null : first);
        expect(d.allowed).toBe(first !== -1 && (rules[first]?.operations.includes(operation) ?? false));
        stats.valid++;
        if (first !== -1) stats.matched++;
      }),
      { numRuns: 2000 },
    );
    // Guard against a vacuous property: a good share of generated cases must actually hit a rule.
    expect(stats.matched).toBeGreaterThan(300);
    expect(stats.valid - stats.matched).toBeGreaterThan(100);
  });

  it("case never changes which rule matches", () => {
    fc.assert(
      fc.property(
        fc.array(ruleArb, { minLength: 1, maxLength: 4 }),
        fc.tuple(word(nameChar, 8), word(nameChar, 8)),
        fc.array(fc.nat(), { minLength: 1, maxLength: 8 }),
        (rules, [o, r], mask) => {
          const yaml = [
            "version: 1",
            "repositories:",
            ...rules.flatMap((x) => [
              `  - pattern: ${JSON.stringify(flipCase(x.pattern, mask))}`,
              `    operations: [${x.operations.join(", ")}]`,
            ]),
          ].join("\n");
          const engine = new PolicyEngine(parsePolicy(yaml));
          const a = engine.decide({ principal, repository: `${o}/${r}`, operation: "read" });
          const b = engine.decide({
            principal,
            repository: flipCase(`${o}/${r}`, mask.slice().reverse()),
            operation: "read",
          });
          expect([b.allowed, b.ruleIndex, b.code]).toEqual([a.allowed, a.ruleIndex, a.code]);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("a name with any non-ASCII, '%' or control character is never allowed, even under */*", () => {
    const engine = new PolicyEngine(
      parsePolicy('version: 1\nrepositories:\n  - pattern: "*/*"\n    operations: [read]\n'),
    );
    fc.assert(
      fc.property(
        segment,
        segment,
        fc.constantFrom("%2e", "\u212A", "\uFF41", "\u0430", "\u0000", "\u007F", "\u200B"),
        (o, r, bad) => {
          const d = engine.decide({ principal, repository: `${o}${bad}/${r}`, operation: "read" });
          expect(d.allowed).toBe(false);
          expect(d.code).toBe("INVALID_REPOSITORY_NAME");
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("regex metacharacters and hostile inputs (reliability-anchors §6.3 G1)", () => {
  const engine = new PolicyEngine(
    parsePolicy(
      'version: 1\nrepositories:\n  - pattern: "acme/api"\n    operations: [read]\n  - pattern: "acme/web.app"\n    operations: [read]\n  - pattern: "acme/*-svc?"\n    operations: [read]\n',
    ),
  );
  const allowed = (repository: string) => engine.decide({ principal, repository, operation: "read" }).allowed;

  it("allows only what is intended", () => {
    for (const ok of [
      "acme/api",
      "ACME/API",
      "Acme/Api",
      "acme/web.app",
      "acme/billing-svc1",
      "acme/-svcX",
    ]) {
      expect(allowed(ok), ok).toBe(true);
    }
    const denied = [
      "acme/webXapp",
      "acme/web.appx",
      "acme/\u212Aey",
      "acme/ap\u0131",
      "\uFF41\uFF43\uFF4D\uFF45/api",
      "\u0430cme/api",
      "acme/a\u200Bpi",
      "acme/api\u0301",
      "acme/..",
      "acme/.",
      "acme/../evil",
      "acme/%2e%2e",
      "acme/%2E%2e/evil",
      "acme/api/../../evil/x",
      "acme/api/..%2f..%2fevil",
      "acme%2Fapi",
      "acme/api%00",
      "acme/api%0a",
      "acme/api\n",
      "acme/api%23x",
      "acme/api#x",
      "acme/api?x=/api",
      "acme/api-evil",
      "acme/api.git",
      "acme/apiX",
      "xacme/api",
      "acme2/api",
      "evil/acme/api",
      "acme/",
      "/api",
      "acme//api",
      "acme/api/",
      `acme/${"a".repeat(101)}`,
      `${"a".repeat(40)}/api`,
      "",
      "acme/(.*)",
      "acme/api|evil/x",
      "acme/[a-z]+",
      "acme/billing-svc",
      "acme/billing-svc12",
    ];
    for (const bad of denied) expect(allowed(bad), JSON.stringify(bad)).toBe(false);
  });

  it("stays linear on ReDoS-shaped input", () => {
    const start = performance.now();
    const hostile = `acme/${"a".repeat(10_000)}!`;
    for (let i = 0; i < 100; i++) allowed(hostile);
    expect(matchSegment("*a*a*a*a*a*a*a*b", "a".repeat(10_000))).toBe(false);
    expect(performance.now() - start).toBeLessThan(1000);
    const pattern = compilePattern("acme/*a*a*a*a*b");
    expect(pattern.repo).toBe("*a*a*a*a*b");
  });
});
