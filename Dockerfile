# syntax=docker/dockerfile:1
# driftwarden as a container: the scheduled service (`run`) by default, or any other CLI command.
#
#   docker build -t driftwarden .
#   docker run -d --name driftwarden -p 9464:9464 \
#     -v "$PWD/config:/config:ro" -v driftwarden-state:/var/lib/driftwarden \
#     -e GIT_TOKEN -e DRIFTWARDEN_API_TOKEN -e DRIFTWARDEN_WEBHOOK_SECRET driftwarden
#   docker run --rm -v "$PWD/config:/config:ro" -v driftwarden-state:/var/lib/driftwarden \
#     driftwarden --config /config/driftwarden.yaml check
#
# The config must set `listen: "0.0.0.0:9464"` (the default, loopback, cannot be reached through a
# published port) and `state: /var/lib/driftwarden/state`, so that the Git cache, the history
# database, the locks and the install key survive a new container.
#
# No haproxy, nginx or caddy binary is installed: a checker whose version differs from the load
# balancer's own would accept or refuse the wrong configs. Either run the check and the reload on
# the load balancer's host (a target's `binary` pointing at a wrapper that runs it there over ssh,
# and its `reload` command), or extend this image with the same version as the host's:
#   FROM driftwarden
#   USER root
#   RUN apt-get update && apt-get install -y --no-install-recommends haproxy && rm -rf /var/lib/apt/lists/*
#   USER driftwarden
# Without them, `file` targets and Caddy targets whose approved file is Caddy JSON are still
# compared; only `validate` and reverts need the checker.

# npm 11 reads package.json's `allowScripts` (the image's bundled npm 10 ignores it); strict mode
# fails the build when a dependency gains an install script nobody reviewed, instead of running it. python3/make/g++ let better-sqlite3
# compile when no prebuilt binary can be downloaded.
FROM node:20-bookworm-slim AS toolchain
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/* \
  && npm install -g --no-audit --no-fund npm@11.19.1
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_STRICT_ALLOW_SCRIPTS=true
WORKDIR /app
COPY package.json package-lock.json ./

FROM toolchain AS build
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts ./scripts
RUN npm run build

# A separate install rather than `npm prune`: nothing from the dev tree (or its build leftovers)
# can reach the runtime image.
FROM toolchain AS deps
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
# git reads the approved repository; tini forwards SIGTERM/SIGHUP to node and reaps git children.
# npm, npx, corepack and yarn are removed: the runtime never installs anything.
RUN apt-get update \
  && apt-get install -y --no-install-recommends git ca-certificates tini \
  && rm -rf /var/lib/apt/lists/* \
  && rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
       /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
       /opt/yarn-v* /usr/local/bin/yarn /usr/local/bin/yarnpkg \
  && useradd --system --uid 10001 --user-group --home-dir /var/lib/driftwarden --no-create-home driftwarden \
  && mkdir -p /config /var/lib/driftwarden/state \
  && chown -R driftwarden:driftwarden /var/lib/driftwarden
ENV NODE_ENV=production
WORKDIR /app
# package.json is needed at run time: it makes dist/ an ES module package.
COPY --from=deps /app/package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Declared after the chown, so a new named volume starts owned by the service user.
VOLUME ["/config", "/var/lib/driftwarden"]
USER driftwarden
WORKDIR /var/lib/driftwarden
EXPOSE 9464
# The service listens on 0.0.0.0:9464 in a container, so loopback reaches it. Only /healthz
# (the process is alive): a Git or load-balancer outage must not mark the container unhealthy.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9464/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/dist/cli/bin.js"]
CMD ["--config", "/config/driftwarden.yaml", "run"]
