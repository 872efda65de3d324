import { createSecretStoreFromConfig } from "../secrets/from-config.ts";
import { secretText } from "../secrets/secret-store.ts";
import {
  type CheckResult,
  type DoctorCheck,
  type DoctorContext,
  describeError,
  fail,
  pass,
} from "./check.ts";

function githubFailure(context: DoctorContext, what: string, error: unknown): CheckResult {
  const { config } = context;
  const status = (error as { status?: number }).status;
  const code = (error as { code?: string }).code;
  let fix: string;
  if (code === "KMS_SIGN_FAILED" || code === "KMS_KEY_ID_MISSING") {
    fix = "the App JWT could not be signed: see the kms check below and github.signer.keyId";
  } else if (code === "PEM_KEY_INVALID" || code?.startsWith("PEM_")) {
    fix = "github.signer.privateKeyPath must be the App's private key (PEM) downloaded from the App settings";
  } else if (status === 401) {
    fix = `GitHub rejected the App JWT: check that github.appId (${config.github.appId})${config.github.clientId ? ` and github.clientId (${config.github.clientId})` : ""} belong to the App whose key signs, and that this host's clock is right`;
  } else if (status === 404) {
    fix = `no such App at ${config.github.apiUrl}: check github.apiUrl and github.appId`;
  } else {
    fix = `cannot reach ${config.github.apiUrl}: check github.apiUrl, DNS, proxy and outbound HTTPS`;
  }
  return fail(`${what}: ${describeError(error)}`, fix);
}

/** The App authenticates: `GET /app` with a JWT from the configured signer (PEM or KMS) names the configured App. */
export const githubAppCheck: DoctorCheck = {
  name: "github app",
  fixOnTimeout:
    "GitHub does not answer: check github.apiUrl and outbound HTTPS (and KMS, which signs the JWT)",
  async run(context) {
    const { config } = context;
    let data: { id?: number; slug?: string; name?: string } | null;
    try {
      const broker = await context.github();
      data = await broker.app.getApp();
    } catch (error) {
      return githubFailure(context, "GET /app", error);
    }
    if (data?.id !== undefined && data.id !== config.github.appId) {
      return fail(
        `GET /app answered App ${data.id}, but github.appId is ${config.github.appId}`,
        `set github.appId to ${data.id} or use the key of App ${config.github.appId}`,
      );
    }
    return pass(
      `App ${data?.slug ?? data?.name ?? "?"} (id ${data?.id ?? "?"}) authenticated${describeSigner(context)}`,
    );
  },
};

function describeSigner(context: DoctorContext): string {
  const signer = context.config.github.signer;
  return signer.type === "kms" ? ` with KMS key ${signer.keyId}` : " with PEM key";
}

/** The App is installed somewhere (otherwise no token can be minted). */
export const githubInstallationsCheck: DoctorCheck = {
  name: "github installations",
  fixOnTimeout: "GitHub does not answer: check github.apiUrl and outbound HTTPS",
  async run(context) {
    let installations: { account?: { login?: string } | null }[];
    let slug: string | undefined;
    try {
      const broker = await context.github();
      installations = await broker.app.listInstallations();
      if (installations.length === 0) slug = (await broker.app.getApp()).slug;
    } catch (error) {
      return githubFailure(context, "GET /app/installations", error);
    }
    if (installations.length === 0) {
      return fail(
        "the App has no installations",
        `install the App on your organization (https://github.com/apps/${slug ?? "<app-slug>"}/installations/new)`,
      );
    }
    const accounts = installations.map((i) => i.account?.login ?? "?");
    const shown = accounts.slice(0, 5).join(", ") + (accounts.length > 5 ? `, … (${accounts.length})` : "");
    return pass(`${installations.length} installation${installations.length === 1 ? "" : "s"}: ${shown}`);
  },
};

/** The webhook secret is configured and readable, and the App delivers its webhooks to `<publicUrl>/github/webhook`. */
export const githubWebhookCheck: DoctorCheck = {
  name: "github webhook",
  fixOnTimeout: "GitHub or the secret store does not answer: check github.apiUrl, aws.* and outbound HTTPS",
  async run(context) {
    const { config } = context;
    const expected = `${new URL(config.publicUrl).origin}/github/webhook`;
    const secretName = config.secrets.webhookSecret;
    if (!secretName) {
      return fail(
        "no webhook secret configured, so /github/webhook is not served",
        "set secrets.webhookSecret to the secret holding the App's webhook secret (repogate setup github-app stores it in Secrets Manager); until then installation changes are noticed only when github.installationCacheTtlMs expires",
      );
    }
    try {
      const store = createSecretStoreFromConfig(config, {
        env: context.env,
        client: context.aws.secretsManager,
      });
      if (secretText(await store.get(secretName)).length < 16) {
        return fail(
          `webhook secret ${secretName} is shorter than 16 characters`,
          "set a long random webhook secret on GitHub and in the secret store",
        );
      }
    } catch (error) {
      return fail(
        `webhook secret ${secretName}: ${describeError(error)}`,
        "see the secrets check: the webhook secret must be readable",
      );
    }
    let hook: { url: string | undefined; hasSecret: boolean };
    try {
      hook = await (await context.github()).app.getWebhookConfig();
    } catch (error) {
      if ((error as { status?: number }).status === 404) {
        return fail(
          "the App has no webhook",
          `in the App's settings on GitHub, activate the webhook with URL ${expected} and the secret`,
        );
      }
      return githubFailure(context, "GET /app/hook/config", error);
    }
    if (hook.url !== expected) {
      return fail(
        `the App delivers webhooks to ${hook.url ?? "(nowhere)"}, not to ${expected}`,
        `in the App's settings on GitHub, set the webhook URL to ${expected} (publicUrl + /github/webhook)`,
      );
    }
    if (!hook.hasSecret) {
      return fail(
        "the App's webhook has no secret on GitHub",
        "set the webhook secret in the App's settings to the value in the secret store",
      );
    }
    return pass(`webhooks go to ${expected}, signed; secret ${secretName} readable`);
  },
};
