# Production image: Node 24, non-root, read-only friendly. Build: docker build -t image-repository-operator .
FROM node:24-slim AS build
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/image ./scripts/image
COPY src ./src
# The operator bundled into dist/image/ (scripts/image/bundle.ts): one minified entry plus lazily loaded chunks, so the
# pod compiles only what it runs (~14 MB less heap than the tsc output's module graph) and needs no node_modules.
RUN npm run build:image

FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /build/dist/image ./dist/image
# The image's own `node` user (uid 1000): the operator needs no privileges.
USER 1000:1000
# --optimize-for-size (a V8 flag NODE_OPTIONS refuses, hence here): V8 grows the heap less eagerly and gives memory back
# sooner: measured 93 MB RSS with 200 ImageRepositories instead of 116-118 MB, for ~15-20 % more
# CPU while provisioning. The heap limits and malloc settings are the Deployment's (config/manager/manager.yaml).
ENTRYPOINT ["node", "--optimize-for-size", "dist/image/operator.js"]
