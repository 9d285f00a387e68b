#!/bin/sh
# The seed's S3 strategy, kept only as the baseline of bench/s3: the AWS CLI baked into the Falco
# image, one `aws s3 cp` per plugin, no verification, then Falco.
#   BUCKET PREFIX PLUGINS="k8saudit container ..." DEST [ENDPOINT] seed-prestart.sh FALCO [ARGS...]
set -eu
mkdir -p "$DEST"
for name in $PLUGINS; do
  aws s3 cp --only-show-errors ${ENDPOINT:+--endpoint-url "$ENDPOINT"} "s3://$BUCKET/$PREFIX/lib$name.so" "$DEST/lib$name.so"
done
exec "$@"
