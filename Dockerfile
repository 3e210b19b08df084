# Production image: Node 24, non-root, read-only friendly. Build: docker build -t image-repository-operator .
FROM node:24-slim AS build
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /build/package.json ./
COPY --from=build /build/node_modules ./node_modules
COPY --from=build /build/dist ./dist
# The image's own `node` user (uid 1000): the operator needs no privileges.
USER 1000:1000
ENTRYPOINT ["node", "dist/bin/operator.js"]
