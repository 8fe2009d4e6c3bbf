# One image recipe for every JP-Link Node service: `--build-arg SERVICE=center` picks the workspace
# package; the process runs `services/$SERVICE/src/server.ts` through tsx
# (docs/decisions/0001-run-typescript-with-tsx.md). Current Node LTS.
FROM node:24-bookworm-slim AS deps
WORKDIR /app
RUN npm install -g pnpm@10 && npm cache clean --force
COPY pnpm-workspace.yaml pnpm-lock.yaml package.json tsconfig.base.json ./
COPY packages ./packages
COPY services ./services
ARG SERVICE
RUN test -n "$SERVICE" && pnpm install --frozen-lockfile --prod --filter "@jplink/${SERVICE}..."

FROM node:24-bookworm-slim
ARG SERVICE
ENV NODE_ENV=production JPLINK_MODE=production SERVICE=${SERVICE}
RUN apt-get update && apt-get install -y --no-install-recommends openssl tini && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=deps /app /app
USER node
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["sh", "-c", "exec node --import tsx services/$SERVICE/src/server.ts"]
