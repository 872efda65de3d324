import { randomUUID } from "node:crypto";
import { access, constants, mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { FilterLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { jsonlLocationFromPath, listJsonlFiles } from "../audit/jsonl-files.ts";
import { boundedFetch } from "../auth/bounded-fetch.ts";
import { discoverIssuer } from "../auth/oidc-discovery.ts";
import { PolicyError } from "../policy/errors.ts";
import { loadPolicyFile } from "../policy/load.ts";
import { type DoctorCheck, describeError, fail, pass } from "./check.ts";

/** The policy file loads and validates. */
export const policyCheck: DoctorCheck = {
  name: "policy",
  fixOnTimeout: "the policy file is on a slow or hung file system; put it on local disk",
  async run({ config }) {
    const file = config.policy.file;
    try {
      const policy = await loadPolicyFile(file, { source: file });
      return pass(`${file}: ${policy.rules.length} rule${policy.rules.length === 1 ? "" : "s"}`);
    } catch (error) {
      if (error instanceof PolicyError) {
        return fail(
          `${file}: ${error.lines().slice(0, 3).join("; ")}`,
          `run \`repogate policy check ${file}\` and correct the lines it names (policy.file sets the path)`,
        );
      }
      throw error;
    }
  },
};

/** The IdP's discovery document names the configured issuer and its JWKS serves signing keys. */
export const idpCheck: DoctorCheck = {
  name: "idp",
  fixOnTimeout:
    "the identity provider does not answer: check auth.oidc.issuer, DNS and outbound network access",
  async run({ config, timeoutMs }) {
    const issuer = config.auth.oidc.issuer;
    const limits = { timeoutMs, maxBytes: 64 * 1024 };
    let jwksUri: URL;
    try {
      ({ jwksUri } = await discoverIssuer(issuer, limits));
    } catch (error) {
      return fail(
        `discovery of ${issuer} failed: ${describeError(error)}`,
        `check that auth.oidc.issuer is exactly the IdP's issuer (as in ${issuer.replace(/\/$/, "")}/.well-known/openid-configuration) and that the IdP is reachable from here`,
      );
    }
    let keys: { kty?: string; use?: string }[];
    try {
      const response = await boundedFetch(jwksUri, { headers: { accept: "application/json" } }, limits);
      keys = ((await response.json()) as { keys?: { kty?: string; use?: string }[] }).keys ?? [];
    } catch (error) {
      return fail(
        `JWKS ${jwksUri.href} could not be read: ${describeError(error)}`,
        "the IdP's jwks_uri must be reachable from the broker (proxy/firewall rules)",
      );
    }
    const signing = keys.filter((k) => k.use === undefined || k.use === "sig");
    if (signing.length === 0) {
      return fail(
        `JWKS ${jwksUri.href} holds no signing keys`,
        "the IdP publishes no keys to verify tokens with: check the IdP's signing key configuration",
      );
    }
    return pass(
      `${issuer}: discovery ok, JWKS has ${signing.length} signing key${signing.length === 1 ? "" : "s"}`,
    );
  },
};

/** The audit sink accepts writes: the JSONL directory is writable, or the CloudWatch log group exists and answers. */
export const auditCheck: DoctorCheck = {
  name: "audit",
  fixOnTimeout: "the audit sink does not answer: check the file system or network access to CloudWatch Logs",
  async run({ config, aws, auditProbe, timeoutMs }) {
    if (auditProbe) return pass(await auditProbe());
    const audit = config.audit;
    if (audit.sink === "jsonl") {
      // Read-only towards the trail itself: opening it through the sink could trim a line the broker is writing.
      const location = jsonlLocationFromPath(audit.file);
      const probe = join(location.dir, `.repogate-doctor-${randomUUID()}`);
      let files: Awaited<ReturnType<typeof listJsonlFiles>>;
      try {
        await mkdir(location.dir, { recursive: true, mode: 0o700 });
        await writeFile(probe, "probe\n", { mode: 0o600 });
        await rm(probe);
        files = await listJsonlFiles(location);
        const newest = files.at(-1);
        if (newest) await access(newest.path, constants.W_OK);
      } catch (error) {
        return fail(
          `audit trail in ${location.dir} is not writable: ${describeError(error)}`,
          `give the broker's user write access to ${location.dir} and its files, or set audit.file to a writable path`,
        );
      }
      return pass(
        `jsonl trail in ${location.dir} writable, ${files.length} file${files.length === 1 ? "" : "s"} (onFailure: ${audit.onFailure})`,
      );
    }
    // The config schema requires audit.logGroup with the cloudwatch sink.
    const logGroup = audit.logGroup as string;
    try {
      await aws.logs.send(new FilterLogEventsCommand({ logGroupName: logGroup, limit: 1 }), {
        abortSignal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const name = (error as { name?: string }).name;
      return fail(
        `CloudWatch log group ${logGroup}: ${describeError(error)}`,
        name === "ResourceNotFoundException"
          ? `create log group ${logGroup} (the infrastructure stack does), or fix audit.logGroup`
          : `allow logs:PutLogEvents, logs:CreateLogStream and logs:FilterLogEvents on ${logGroup} for repogate's role, and check network access to CloudWatch Logs (${config.aws.region})`,
      );
    }
    return pass(`cloudwatch log group ${logGroup} reachable (onFailure: ${audit.onFailure})`);
  },
};
