import { writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadDevUsers, parseDevUsers } from "../../wrangler-free-local/idp/index.ts";
import { DevUsersFileError } from "../../wrangler-free-local/idp/users.ts";
import { makeDataDir, removeDataDir } from "./fixture.ts";

describe("dev users file", () => {
  it("ships the four seed users the local stack relies on", async () => {
    const users = await loadDevUsers();
    const byEmail = Object.fromEntries(users.map((u) => [u.email, u]));
    expect(byEmail["alice@mycompany.example"]).toMatchObject({ sub: "user-alice", groups: ["eng"] });
    expect(byEmail["pat@partner.example"]).toMatchObject({ groups: ["partner-integration"] });
    expect(byEmail["nobody@mycompany.example"]).toMatchObject({ groups: [] });
    expect(byEmail["sam@mycompany.example"]).toMatchObject({ groups: ["security"], admin: true });
  });

  it("refuses duplicate emails, unknown fields and bad emails, naming the problem", () => {
    const base = { sub: "user-a", email: "a@x.example", name: "A", groups: [] };
    const cases: [unknown, RegExp][] = [
      [{ users: [base, { ...base, sub: "user-b", email: "A@x.example" }] }, /duplicate email/],
      [{ users: [base, { ...base, email: "b@x.example" }] }, /duplicate sub/],
      [{ users: [{ ...base, password: "x" }] }, /password/],
      [{ users: [{ ...base, email: "not-an-email" }] }, /users\.0\.email/],
      [{ users: [] }, /users/],
    ];
    for (const [content, message] of cases) {
      let error: unknown;
      try {
        parseDevUsers(content, "test.yaml");
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(DevUsersFileError);
      expect((error as DevUsersFileError).code).toBe("IDP_USERS_FILE_INVALID");
      expect((error as Error).message).toMatch(message);
    }
  });

  it("reports an unreadable or non-YAML file with its path", async () => {
    const dir = await makeDataDir();
    try {
      const file = path.join(dir, "users.yaml");
      await expect(loadDevUsers(file)).rejects.toThrow(/users\.yaml cannot be read \(ENOENT\)/);
      await writeFile(file, "users: [unclosed");
      await expect(loadDevUsers(file)).rejects.toThrow(/not valid YAML/);
    } finally {
      await removeDataDir(dir);
    }
  });
});
