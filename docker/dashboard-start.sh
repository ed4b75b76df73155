#!/bin/sh
# Runs the lab (apps/lab) exactly as `pnpm dev` does, every part on the container's loopback, and
# forwards the dashboard's page from the container's network (port 8060) to it.
set -eu
LAB_HTTP_PORT=8061
socat "TCP-LISTEN:8060,fork,reuseaddr" "TCP:127.0.0.1:${LAB_HTTP_PORT}" &
exec tsx --conditions=@referkit/source apps/lab/src/cli.ts --http-port "${LAB_HTTP_PORT}" --sip-port 5060
