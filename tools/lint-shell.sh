#!/usr/bin/env bash
# Runs shellcheck over every shell script in the repository (by extension or by a bash/sh shebang).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v shellcheck > /dev/null || { echo "lint-shell: shellcheck is not installed (apt-get install shellcheck, or npm run setup)" >&2; exit 1; }
scripts=()
while IFS= read -r -d '' file; do
  [[ -f "$file" ]] || continue
  if [[ "$file" == *.sh ]] || head -n1 "$file" | grep -Eq '^#!.*\b(ba)?sh\b'; then scripts+=("$file"); fi
done < <(git ls-files -z --cached --others --exclude-standard -- ':!*.ts' ':!*.json' ':!*.md' ':!*.yaml' ':!*.c' ':!*.go' ':!*.mod' ':!*.sum')
shellcheck -x --source-path=SCRIPTDIR "${scripts[@]}"
echo "lint-shell: ${#scripts[@]} scripts clean" >&2
