# syntax=docker/dockerfile:1
# repogate broker image: Node 24, production dependencies only, non-root, read-only root filesystem friendly.
# The build steps live in scripts/build-image.mjs (tested without Docker by test/deploy/image-build.test.ts).
#   docker build -t repogate .
#   docker run --read-only --tmpfs /tmp -p 8700:8700 -e REPOGATE_HOST=0.0.0.0 ... repogate

ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# All dependencies here: esbuild bundles repogate's sources. None of this stage reaches the final image.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY bin ./bin
COPY scripts/build-image.mjs ./scripts/build-image.mjs
COPY infrastructure/policy.yaml ./infrastructure/policy.yaml
RUN node scripts/build-image.mjs --out /out --policy infrastructure/policy.yaml

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and not writable by the broker's user: the code and policy cannot be changed at run time.
COPY --from=build --chown=root:root /out /app
# The image's `node` user (uid 1000); the task definition runs it with a read-only root filesystem and /tmp
# as its only writable volume (audit spool and dead-letter file, REPOGATE_AUDIT_FILE).
USER node
EXPOSE 8700
# The broker handles SIGTERM itself: stops accepting, lets in-flight calls finish (20 s), revokes their tokens,
# flushes the audit trail and metrics, then exits.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "--enable-source-maps", "/app/dist/repogate.mjs"]
CMD ["serve"]
