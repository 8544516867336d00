# driftwarden as a container: the CLI and (later) the scheduled service.
# Build: docker build -t driftwarden .   Run: docker run -v $PWD:/config driftwarden --config /config/driftwarden.yaml check
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
RUN npm ci --no-audit --no-fund
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends git ca-certificates tini \
  && rm -rf /var/lib/apt/lists/* \
  && useradd --system --uid 10001 --home /var/lib/driftwarden --create-home driftwarden
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
USER driftwarden
WORKDIR /var/lib/driftwarden
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/dist/cli/bin.js"]
CMD ["--help"]
