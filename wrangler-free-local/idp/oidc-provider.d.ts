// Type declarations for the part of oidc-provider v9 the dev IdP uses. The package ships no types and
// @types/oidc-provider is not a dependency; if it is ever added, delete this file.
declare module "oidc-provider" {
  import type { IncomingMessage, ServerResponse } from "node:http";

  /** The Koa context oidc-provider passes to configuration hooks (only what the dev IdP reads). */
  export interface ProviderContext {
    type: string;
    body: unknown;
    status: number;
    accepts(...types: string[]): string | false;
    oidc?: { route?: string; client?: ClientLike; params?: Record<string, unknown> };
  }

  export interface ClientLike {
    clientId: string;
    clientName?: string;
    applicationType?: string;
    redirectUris: string[];
  }

  export interface Account {
    accountId: string;
    claims(use: string, scope: string): Promise<Record<string, unknown>> | Record<string, unknown>;
  }

  export interface InteractionPrompt {
    name: string;
    reasons: string[];
    details: {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
      login_hint?: string;
      [key: string]: unknown;
    };
  }

  export interface Interaction {
    uid: string;
    prompt: InteractionPrompt;
    params: Record<string, unknown> & { client_id?: string; scope?: string; login_hint?: string };
    session?: { accountId: string; uid: string };
    grantId?: string;
    returnTo: string;
  }

  export interface GrantInstance {
    addOIDCScope(scope: string): void;
    addOIDCClaims(claims: string[]): void;
    addResourceScope(indicator: string, scope: string): void;
    save(ttl?: number): Promise<string>;
  }

  export interface GrantConstructor {
    new (init: { accountId: string; clientId: string }): GrantInstance;
    find(id: string): Promise<GrantInstance | undefined>;
  }

  export interface InteractionResult {
    login?: { accountId: string; remember?: boolean; acr?: string; amr?: string[]; ts?: number };
    consent?: { grantId?: string };
    error?: string;
    error_description?: string;
  }

  export type Configuration = Record<string, unknown>;

  export class Provider {
    constructor(issuer: string, configuration?: Configuration);
    readonly issuer: string;
    readonly Grant: GrantConstructor;
    readonly Client: { find(id: string): Promise<ClientLike | undefined> };
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<Interaction>;
    interactionFinished(
      req: IncomingMessage,
      res: ServerResponse,
      result: InteractionResult,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<void>;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }

  export class OIDCProviderError extends Error {
    error: string;
    error_description?: string;
    status: number;
  }

  export const errors: {
    InvalidTarget: new (description?: string) => OIDCProviderError;
    SessionNotFound: new (description?: string) => OIDCProviderError;
  };

  export interface CheckConstructor {
    new (
      reason: string,
      description: string,
      error: string,
      check: (ctx: { oidc: { result?: InteractionResult } }) => boolean,
    ): unknown;
    REQUEST_PROMPT: true;
    NO_NEED_TO_PROMPT: false;
  }

  export interface PromptList extends Array<{ name: string; checks: unknown[] }> {
    get(name: string): { name: string; checks: unknown[] } | undefined;
  }

  export const interactionPolicy: {
    base(): PromptList;
    Check: CheckConstructor;
  };

  export default Provider;
}
