#!/usr/bin/env bash
# Installs the pinned infra tools (checkov, helm-python-sdk, kubernetes-validate,
# check-jsonschema, hadolint) into <repo>/.venv-infra, apart from the project's lock.
# Idempotent: returns at once when the venv matches infra/requirements-tools.txt.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
venv="$repo/.venv-infra"
requirements="$repo/infra/requirements-tools.txt"
stamp="$venv/.requirements.sha256"
want=$(sha256sum "$requirements" | cut -d' ' -f1)

if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -x "$venv/bin/checkov" ]]; then
  exit 0
fi

echo "setup-tools: building $venv" >&2
rm -rf "$venv"
python=${PYTHON:-python3.11}
if command -v "$python" >/dev/null 2>&1; then
  "$python" -m venv "$venv"
elif command -v uv >/dev/null 2>&1; then
  uv venv --quiet --python 3.11 "$venv"
else
  echo "setup-tools: need $python or uv" >&2
  exit 1
fi

if command -v uv >/dev/null 2>&1; then
  uv pip install --quiet --python "$venv/bin/python" -r "$requirements"
else
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
fi
echo "$want" > "$stamp"
