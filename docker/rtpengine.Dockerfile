# rtpengine from Debian bookworm (rtpengine-daemon 10.5), userspace forwarding only: no kernel
# module, no capabilities. The command line is in compose.yaml.
FROM debian:12.12-slim
RUN apt-get update \
  && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends rtpengine-daemon \
  && rm -rf /var/lib/apt/lists/*
EXPOSE 22222/udp 30000-30099/udp
CMD ["rtpengine", "--config-file=none", "--foreground", "--log-stderr", "--table=-1", "--no-fallback"]
