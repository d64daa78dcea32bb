#!/usr/bin/env bash
# Builds {{name}}.wasm from app.py with componentize-py (installed into
# .venv on first use; set COMPONENTIZE_PY to use another).
set -euo pipefail
cd "$(dirname "$0")"

version=0.25.1
tool=${COMPONENTIZE_PY:-.venv/bin/componentize-py}
if [[ ! -x $tool ]]; then
  echo "==> installing componentize-py $version into .venv" >&2
  python3 -m venv .venv
  .venv/bin/pip install --quiet "componentize-py==$version"
fi

# Bindings for editors and type checkers (the build makes its own).
"$tool" -d wit -w tool-plugin bindings bindings >/dev/null

echo "==> componentize-py app.py -> {{name}}.wasm" >&2
started=$SECONDS
# -p: where app.py and the SDK (vendor/kube_mcp_plugin) are found.
"$tool" -d wit -w tool-plugin componentize app -p . -p vendor -o {{name}}.wasm >/dev/null
printf '    %s: %s bytes in %ss\n' {{name}}.wasm "$(stat -c %s {{name}}.wasm)" $((SECONDS - started)) >&2
