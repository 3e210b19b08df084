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
ENTRYPOINT ["node", "dist/image/operator.js"]
