# syntax=docker/dockerfile:1
# The homeserver image: dependencies installed and TypeScript compiled at build time, so
# `docker compose up` starts in seconds. tini is PID 1: it forwards SIGTERM (docker stop) to
# node, which closes its listeners and the database, and reaps children.
#
#   docker build -t matrix-homeserver-2015 .
#   docker run --rm -p 127.0.0.1:8008:8008 -v hs-data:/data matrix-homeserver-2015

# 1. Compile: every dependency (typescript included), then `npm run build` -> dist/
FROM node:22-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# 2. Runtime dependencies only (better-sqlite3 and sharp are native: built here, on the same base)
FROM node:22-bookworm-slim AS deps
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

# 3. The image: node 22, tini, openssl (self-signed federation certificate), no compilers
FROM node:22-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends tini openssl \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY migrations ./migrations
COPY examples ./examples
COPY docker ./docker
# Data (database, signing key, media) lives in /data: mount a volume there.
RUN mkdir -p /data/hs1 /data/hs2 && chown -R node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8008 8448
# GET / answers {"server": ..., "version": ...}; HEALTHCHECK_URL points at the client port.
ENV HEALTHCHECK_URL=http://127.0.0.1:8008/
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(process.env.HEALTHCHECK_URL).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
# A config is written to /data/homeserver.yaml on first start (edit it, then restart); it binds
# 0.0.0.0 inside the container, so publish the port on 127.0.0.1 or behind a proxy.
CMD ["node", "dist/main.js", "--config", "/data/homeserver.yaml", "--bind-address", "0.0.0.0"]
