import type { IncomingMessage, ServerResponse } from "node:http";
import type { Interaction, Provider } from "oidc-provider";
import { escapeHtml } from "./provider-config.ts";
import type { DevUser } from "./users.ts";

/** Path prefix of the dev IdP's own pages (oidc-provider's `interactions.url` points here). */
export const INTERACTION_PREFIX = "/interaction/";

const MAX_FORM_BYTES = 16 * 1024;

/**
 * Serves the dev login page and the consent step. Login lists the seed users as plain form buttons
 * (no password, no JavaScript, so `repogate token` can submit it); consent is granted automatically
 * for exactly the scopes and resource the client asked for.
 */
export function createInteractionHandler(provider: Provider, users: DevUser[]) {
  const byEmail = new Map(users.map((u) => [u.email.toLowerCase(), u]));

  return async (req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> => {
    const [uid, action] = pathname.slice(INTERACTION_PREFIX.length).split("/");
    let interaction: Interaction;
    try {
      interaction = await provider.interactionDetails(req, res);
    } catch (cause) {
      return sendPage(
        res,
        400,
        "Sign-in expired",
        `<p>${escapeHtml((cause as Error).message)}.</p>
<p>Start again from the application that sent you here.</p>`,
      );
    }
    if (interaction.uid !== uid) {
      return sendPage(
        res,
        400,
        "Sign-in mismatch",
        "<p>This page does not belong to the current sign-in.</p>",
      );
    }

    if (req.method === "GET" && action === undefined) {
      if (interaction.prompt.name === "login") return sendLoginPage(res, provider, interaction, users);
      if (interaction.prompt.name === "consent") return grantConsent(req, res, provider, interaction);
      return sendPage(res, 400, "Unsupported step", `<p>${escapeHtml(interaction.prompt.name)}</p>`);
    }

    if (req.method === "POST" && action === "login") {
      const form = await readForm(req);
      const user = byEmail.get((form.get("email") ?? "").toLowerCase());
      if (!user) {
        return sendPage(
          res,
          400,
          "Unknown user",
          `<p>No dev user with that email. Known users: ${escapeHtml(
            users.map((u) => u.email).join(", "),
          )}.</p>`,
        );
      }
      return provider.interactionFinished(
        req,
        res,
        { login: { accountId: user.sub, remember: false } },
        { mergeWithLastSubmission: false },
      );
    }

    if (req.method === "POST" && action === "abort") {
      return provider.interactionFinished(
        req,
        res,
        { error: "access_denied", error_description: "the user cancelled the sign-in" },
        { mergeWithLastSubmission: false },
      );
    }

    return sendPage(res, 404, "Not found", "<p>No such page.</p>");
  };
}

async function grantConsent(
  req: IncomingMessage,
  res: ServerResponse,
  provider: Provider,
  interaction: Interaction,
): Promise<void> {
  const { details } = interaction.prompt;
  const accountId = interaction.session?.accountId;
  const clientId = interaction.params.client_id;
  if (!accountId || !clientId) {
    return sendPage(res, 400, "Sign-in incomplete", "<p>No signed-in user for this request.</p>");
  }
  const existing = interaction.grantId ? await provider.Grant.find(interaction.grantId) : undefined;
  const grant = existing ?? new provider.Grant({ accountId, clientId });
  if (details.missingOIDCScope?.length) grant.addOIDCScope(details.missingOIDCScope.join(" "));
  if (details.missingOIDCClaims?.length) grant.addOIDCClaims(details.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(details.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(" "));
  }
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: existing ? {} : { grantId } });
}

async function sendLoginPage(
  res: ServerResponse,
  provider: Provider,
  interaction: Interaction,
  users: DevUser[],
): Promise<void> {
  const client = interaction.params.client_id
    ? await provider.Client.find(interaction.params.client_id)
    : undefined;
  const clientLabel = client?.clientName ?? interaction.params.client_id ?? "an application";
  const hint = String(interaction.params.login_hint ?? "").toLowerCase();
  const action = `${INTERACTION_PREFIX}${encodeURIComponent(interaction.uid)}`;
  const buttons = users
    .map((u) => {
      const groups = u.groups.length ? u.groups.join(", ") : "no groups";
      const focus = u.email.toLowerCase() === hint ? " autofocus" : "";
      return `<li><button type="submit" name="email" value="${escapeHtml(u.email)}"${focus}>${escapeHtml(
        u.name,
      )} &lt;${escapeHtml(u.email)}&gt;</button> <small>${escapeHtml(groups)}${u.admin ? " · admin" : ""}</small></li>`;
    })
    .join("\n");
  const scope = String(interaction.params.scope ?? "");
  const resource = String(interaction.params.resource ?? "");
  sendPage(
    res,
    200,
    "Sign in",
    `<p><strong>${escapeHtml(clientLabel)}</strong> wants to sign you in${
      resource ? ` for <code>${escapeHtml(resource)}</code>` : ""
    }${scope ? ` with scopes <code>${escapeHtml(scope)}</code>` : ""}.</p>
<p>This is the repogate <em>development</em> identity provider: pick a user, no password.</p>
<form method="post" action="${action}/login"><ul>
${buttons}
</ul></form>
<form method="post" action="${action}/abort"><button type="submit">Cancel</button></form>`,
  );
}

function sendPage(res: ServerResponse, status: number, title: string, body: string): void {
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>repogate dev IdP: ${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40em;margin:2em auto}li{margin:.4em 0;list-style:none}button{font-size:1em}</style>
</head><body><h1>${escapeHtml(title)}</h1>
${body}
</body></html>`;
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    "content-length": Buffer.byteLength(html),
  });
  res.end(html);
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_FORM_BYTES) break;
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}
