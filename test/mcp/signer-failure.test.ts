/** When the App JWT cannot be signed, the model gets a clear error without the operators' details. */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { describe, expect, it } from "vitest";
import { KmsSignError } from "../../src/aws/kms-signer.ts";
import type { AppJwtSigner } from "../../src/github/index.ts";
import { call, type Harness, useHarnessAsAlice } from "./harness.ts";

const KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/0f0e0d0c-aaaa-bbbb-cccc-000000000000";

const refusingKms: AppJwtSigner = {
  sign: async () => {
    throw new KmsSignError(KEY_ARN, "AccessDeniedException", 400);
  },
  describe: () => ({ kind: "kms", summary: "kms key (test)" }),
};

let h: Harness;
let alice: Client;

useHarnessAsAlice({ signer: refusingKms }, (started, client) => {
  h = started;
  alice = client;
});

describe("a failing App JWT signer", () => {
  it.each([
    ["get_file_contents", { owner: "mycompany", repo: "web", path: "README.md" }],
    ["list_repositories", {}],
    ["search_code", { query: "React" }],
  ] as const)(
    "%s answers without the key, the account or the operators' advice, and logs them",
    async (tool, args) => {
      const logged = h.logged.length;
      const r = await call(alice, tool, args);
      expect(r.isError, r.text).toBe(true);
      expect(r.text).toContain("could not authenticate to GitHub as its App");
      expect(r.text).toMatch(/request id req-\d+/);
      expect(r.text).toContain("[KMS_SIGN_FAILED]");
      for (const detail of ["123456789012", "arn:", "AccessDenied", "kms:Sign", "SIGN_VERIFY"]) {
        expect(r.text).not.toContain(detail);
      }
      const entry = h.logged.slice(logged).find((l) => l.level === "error");
      expect(String(entry?.fields.error)).toContain(KEY_ARN);
      expect(h.results.findLast((e) => e.tool === tool)).toMatchObject({
        outcome: "error",
        errorCode: "KMS_SIGN_FAILED",
      });
    },
  );
});
