# AWS APIs (ECR, EKS, STS) for the deployer's tests: moto in server mode on loopback, from PyPI into a cached venv.
# shellcheck shell=bash

AWS_MOTO_VERSION=5.2.5
AWS_ADDR="127.0.0.1:$(port_of AWS 5050)"
AWS_REGION=eu-west-1
# moto's default account; every access key maps to it unless configured otherwise.
AWS_ACCOUNT_ID=123456789012

aws_ready() { http_ok "http://$AWS_ADDR/moto-api/data.json"; }

# Prints the moto_server of the pinned version, installing it into $TESTBED_CACHE/moto on first use.
aws_moto_server() {
  local venv="$TESTBED_CACHE/moto/$AWS_MOTO_VERSION"
  # Scripts in a venv hold its absolute path, so it is built in place; the marker says it was built to the end.
  if [[ ! -f "$venv/.installed" ]]; then
    command -v python3 > /dev/null || die "python3 not found: apt-get install python3 python3-venv"
    log "installing moto[server] $AWS_MOTO_VERSION from PyPI; first run only, cached in $venv"
    rm -rf "$venv"
    python3 -m venv "$venv" >&2 || die "python3 -m venv failed: apt-get install python3-venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$AWS_MOTO_VERSION" >&2 || die "pip could not install moto[server]==$AWS_MOTO_VERSION"
    touch "$venv/.installed"
  fi
  echo "$venv/bin/moto_server"
}

svc_aws_up() {
  local server port
  port="$(port_claim aws AWS 5050 aws)" || return 1
  AWS_ADDR="127.0.0.1:$port"
  if is_running aws && aws_ready; then return 0; fi
  server="$(aws_moto_server)"
  start_daemon aws "$server" --host "${AWS_ADDR%:*}" --port "${AWS_ADDR##*:}"
  wait_until 60 "aws $AWS_ADDR" aws_ready || { tail -n 20 "$TESTBED_DIR/log/aws.log" >&2; return 1; }
  env_set aws TESTBED_AWS_ENDPOINT "http://$AWS_ADDR"
  env_set aws TESTBED_AWS_REGION "$AWS_REGION"
  env_set aws TESTBED_AWS_ACCOUNT_ID "$AWS_ACCOUNT_ID"
  # moto checks no signature; any key pair works, these name the testbed in request logs.
  env_set aws TESTBED_AWS_ACCESS_KEY_ID AKIATESTBEDMOTO00001
  env_set aws TESTBED_AWS_SECRET_ACCESS_KEY testbed-moto-secret
}

svc_aws_down() { stop_daemon aws; }

svc_aws_status() {
  # Another testbed's moto may answer on the usual port; only this testbed's own process counts.
  is_running aws || { echo "http://$AWS_ADDR: not started by this testbed ($TESTBED_DIR)"; return 1; }
  aws_ready || { echo "http://$AWS_ADDR/moto-api/data.json does not answer"; return 1; }
  echo "http://$AWS_ADDR (moto $AWS_MOTO_VERSION: ECR, EKS, STS; region $AWS_REGION)"
}
