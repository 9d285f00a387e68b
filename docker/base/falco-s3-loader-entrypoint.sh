#!/bin/sh
# Entrypoint of the falco-s3-loader image: install the plugins of the release from S3, then become
# Falco, so that signals reach Falco and its exit code is the container's. When the loader fails,
# its exit code is the container's and Falco does not start with a wrong plugin set.
set -eu
"${FALCO_S3_LOADER_BIN:-/usr/bin/falco-s3-loader}"
# No arguments, or options only (the chart's extra args, e.g. -o key=value): they are Falco's.
if [ "$#" -eq 0 ] || [ "${1#-}" != "$1" ]; then
  set -- /usr/bin/falco "$@"
fi
exec "$@"
