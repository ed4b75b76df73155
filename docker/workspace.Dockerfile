# The referkit workspace (pnpm), run from its TypeScript sources with tsx: one image per app,
# each a target of this file (trunk, endpoint, dashboard). Build context: the repository root.
FROM node:20.19.5-bookworm-slim AS workspace
RUN apt-get update \
  && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends rtpengine-daemon socat \
  && rm -rf /var/lib/apt/lists/* \
  && npm install -g pnpm@10 tsx@4
WORKDIR /referkit
COPY . .
RUN pnpm install --frozen-lockfile
ENV NODE_ENV=production

# referkit-trunk: the mock Plivo trunk (flags in compose.yaml).
FROM workspace AS trunk
# --drachtio loads drachtio-srf (the app's optional peer, installed above as its devDependency)
# only at run time: fail the build, not the container, when the install leaves it out.
RUN cd apps/mock-trunk && node --input-type=module -e "await import('drachtio-srf')"
EXPOSE 8070/tcp
ENTRYPOINT ["tsx", "--conditions=@referkit/source", "apps/mock-trunk/src/bin.ts"]

# referkit-endpoint: the reference endpoint (flags in compose.yaml).
FROM workspace AS endpoint
EXPOSE 5070/udp 8080/tcp
ENTRYPOINT ["tsx", "--conditions=@referkit/source", "apps/endpoint/src/bin.ts"]

# The lab dashboard: `pnpm dev`'s lab on the container's loopback, its page forwarded to 8060.
FROM workspace AS dashboard
EXPOSE 8060/tcp
ENTRYPOINT ["sh", "docker/dashboard-start.sh"]
