import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildRepogateApp } from "../lib/app.ts";

// `cdk synth` / `cdk deploy` run this (infrastructure/cdk.json); the CLI passes context and the output dir.
const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
buildRepogateApp({ repositoryRoot }).app.synth();
