#!/bin/sh
# falco-plugin-loader: the init container of the sidecar strategy. Checks every file of its payload
# against files.sha256 (written from plugins-lock.yaml when the image was built, and naming the lock's
# own sha256) — size, sha256, nothing missing, nothing extra — and only then copies plugins into
# $FALCO_PLUGIN_LOADER_DEST and rules files into $FALCO_PLUGIN_LOADER_RULES_DEST (default: the rules
# directory of the plugin destination). A refusal is one line on stderr and leaves both as they were.
# POSIX sh and coreutils (sha256sum, wc, mktemp, cp, mv): all in AlmaLinux 9 minimal, nothing to build per platform.
# Exit codes: 0 installed; 1 copy failed (disk, permissions); 2 bad destination; 3 verification failed.
set -eu

HOME_DIR=${FALCO_PLUGIN_LOADER_HOME:-/opt/falco-plugin-loader}
DEST=${FALCO_PLUGIN_LOADER_DEST:-/mnt/plugins}
RULES_DEST=${FALCO_PLUGIN_LOADER_RULES_DEST:-$DEST/rules}
LISTING="$HOME_DIR/files.sha256"
PAYLOAD="$HOME_DIR/payload"
NL='
'
staging=''
rules_staging=''

fail() {
  code=$1
  shift
  echo "falco-plugin-loader: error: $*" >&2
  exit "$code"
}
log() { echo "falco-plugin-loader: $*" >&2; }

cleanup() {
  if [ -n "$staging" ]; then rm -rf "$staging"; fi
  if [ -n "$rules_staging" ]; then rm -rf "$rules_staging"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

sha256_of() { sha256sum < "$1" | cut -d' ' -f1; }
size_of() { wc -c < "$1" | tr -d ' '; }

# check_file PATH SHA256 SIZE: a regular file (not a link) with exactly this size and sha256.
check_file() {
  [ -f "$1" ] && [ ! -L "$1" ] || return 1
  [ "$(size_of "$1")" = "$3" ] || return 2
  [ "$(sha256_of "$1")" = "$2" ] || return 2
}

# Every file and link under a directory, relative to $PAYLOAD, one per line (no find in the minimal image).
list_payload() {
  for entry in "$1"/* "$1"/.[!.]* "$1"/..?*; do
    [ -e "$entry" ] || [ -L "$entry" ] || continue
    if [ -d "$entry" ] && [ ! -L "$entry" ]; then
      list_payload "$entry"
    else
      printf '%s\n' "${entry#"$PAYLOAD"/}"
    fi
  done
}

[ -f "$LISTING" ] || fail 3 "$LISTING is missing: the image is damaged; pull it again"
expected=''
while read -r sha256 size path; do
  case "$path" in
    '' | /* | *..* | *[!A-Za-z0-9._+/-]*) fail 3 "files.sha256 names an unsafe path \"$path\": the image was tampered with" ;;
  esac
  case "$sha256:$size" in
    *[!0-9a-f:]* | :* | *:) fail 3 "files.sha256 has a malformed line for $path: the image was tampered with" ;;
  esac
  rc=0
  check_file "$HOME_DIR/$path" "$sha256" "$size" || rc=$?
  case $rc in
    0) ;;
    1) fail 3 "$path is missing from the image: pull the image again or rebuild it" ;;
    *) fail 3 "$path does not match the lock (expected $size bytes, sha256 $sha256): the file was tampered with; pull the image again or rebuild it" ;;
  esac
  case "$path" in payload/*) expected="$expected${path#payload/}$NL" ;; esac
done < "$LISTING"

for path in $(list_payload "$PAYLOAD"); do
  case "$NL$expected" in
    *"$NL$path$NL"*) ;;
    *) fail 3 "payload/$path is not in the lock: the image was tampered with; pull the image again or rebuild it" ;;
  esac
done

[ -d "$DEST" ] || fail 2 "the destination $DEST is not a directory: mount the plugins volume there or set FALCO_PLUGIN_LOADER_DEST"
case "$expected" in
  rules/* | *"${NL}rules/"*)
    # The default rules directory lives in the plugin volume; one the chart names must be mounted.
    if [ -z "${FALCO_PLUGIN_LOADER_RULES_DEST:-}" ]; then mkdir -p "$RULES_DEST" || fail 1 "cannot create $RULES_DEST: check the volume"; fi
    [ -d "$RULES_DEST" ] || fail 2 "the rules destination $RULES_DEST is not a directory: mount the rules volume there or set FALCO_PLUGIN_LOADER_RULES_DEST"
    rules_staging=$(mktemp -d "$RULES_DEST/.falco-plugin-loader.XXXXXX") || fail 1 "cannot write to $RULES_DEST: check the volume and the user the container runs as"
    ;;
esac
staging=$(mktemp -d "$DEST/.falco-plugin-loader.XXXXXX") || fail 1 "cannot write to $DEST: check the volume and the user the container runs as"

# Where a payload file is staged and installed: rules files in the rules destination, plugins in the plugin one.
staged_of() { case "$1" in rules/*) printf '%s/%s' "$rules_staging" "${1#rules/}" ;; *) printf '%s/%s' "$staging" "$1" ;; esac; }
target_of() { case "$1" in rules/*) printf '%s/%s' "$RULES_DEST" "${1#rules/}" ;; *) printf '%s/%s' "$DEST" "$1" ;; esac; }

# Copy, then check the copies, before anything in either destination is replaced.
plugins=0
rules=0
for path in $expected; do
  staged=$(staged_of "$path")
  mkdir -p "$(dirname "$staged")"
  cp "$PAYLOAD/$path" "$staged" || fail 1 "copying $path into $(dirname "$(target_of "$path")") failed"
  case "$path" in rules/*) rules=$((rules + 1)) ;; *) plugins=$((plugins + 1)) ;; esac
done
while read -r sha256 size path; do
  case "$path" in payload/*) ;; *) continue ;; esac
  check_file "$(staged_of "${path#payload/}")" "$sha256" "$size" || fail 1 "the copy of $path differs from the lock: check the volume"
done < "$LISTING"

# Each move is a rename on the destination's own filesystem: Falco never sees a half-written file.
for path in $expected; do
  target=$(target_of "$path")
  mkdir -p "$(dirname "$target")"
  mv -f "$(staged_of "$path")" "$target" || fail 1 "moving $path into place in $(dirname "$target") failed"
done
log "installed $((plugins + rules)) files checked against plugins-lock.yaml: $plugins plugins into $DEST, $rules rules files into $RULES_DEST"
