# Sourced by scripts/run and scripts/test: create .venv on first use and (re)install the
# project only when pyproject.toml changed. Usage: bootstrap EXTRA   (EXTRA may be empty)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"

find_python() {
    for candidate in "${BP_STUDIO_PYTHON:-}" python3.13 python3.12 python3.11 python3 python; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    echo "BP Studio needs Python 3.11 or newer; none was found on PATH." >&2
    return 1
}

bootstrap() {
    local extra="${1:-}"
    if [ ! -x "$venv/bin/python" ]; then
        local python
        python="$(find_python)"
        echo "Creating $venv (first run) ..." >&2
        "$python" -m venv "$venv"
    fi
    local spec="$root"
    if [ -n "$extra" ]; then spec="$root[$extra]"; fi
    local stamp="$venv/.bp-studio-installed${extra:+-$extra}"
    local want
    want="$("$venv/bin/python" -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' "$root/pyproject.toml")"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        echo "Installing BP Studio into $venv ..." >&2
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$spec" >&2
        echo "$want" >"$stamp"
    fi
}
