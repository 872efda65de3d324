/** Conformance rows for the App-setup endpoints: the manifest conversion and the App's webhook configuration. */
import { expect } from "vitest";
import type { ResponseCase } from "./exchange.ts";

/** `POST /app-manifests/{code}/conversions`, `GET /app/hook/config`. */
export const appSetupCases: ResponseCase[] = [
  {
    // A successful conversion would make the emulator play a new App for every later row; the 201 shape is covered
    // by test/setup (the setup command parses it) instead.
    operationId: "apps/create-from-manifest",
    method: "POST",
    status: 404,
    label: "unknown, used or expired code",
    path: "/app-manifests/0123456789abcdef0123456789abcdef01234567/conversions",
    auth: "none",
  },
  {
    operationId: "apps/get-webhook-config-for-app",
    status: 200,
    label: "the App's webhook, secret masked",
    path: "/app/hook/config",
    auth: "app",
    around: (ctx) => {
      const { webhooks } = ctx.github.state;
      const before = webhooks.config();
      webhooks.configure({
        url: "https://repogate.example.com/github/webhook",
        secret: "s3cret-s3cret-s3cret",
        active: true,
      });
      return () => webhooks.configure(before);
    },
    expectBody: (body) =>
      expect(body).toEqual({
        content_type: "json",
        insecure_ssl: "0",
        url: "https://repogate.example.com/github/webhook",
        secret: "********",
      }),
  },
];
