#!/bin/sh
# Entrypoint of an image that runs Falco with plugins from S3: install them, then become Falco.
#   ENTRYPOINT ["/usr/bin/falco-s3-loader-entrypoint"]  CMD ["/usr/bin/falco", "-o", "..."]
# The loader is configured by FALCO_S3_LOADER_* variables; when it fails, its exit code is the
# container's (see falco-s3-loader --help) and Falco does not start with a wrong plugin set.
set -eu
"${FALCO_S3_LOADER_BIN:-/usr/bin/falco-s3-loader}"
exec "$@"
