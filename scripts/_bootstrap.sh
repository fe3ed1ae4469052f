# Sourced by scripts/run and scripts/test: create .venv on first use and install the project
# only when this .venv does not hold it yet for the current pyproject.toml.
# Usage: bootstrap EXTRA   (EXTRA names an optional-dependencies set, e.g. "test", or is empty)
#
# One stamp per installed extra set: .venv/.bp-studio-installed (the plain install) and
# .venv/.bp-studio-installed-EXTRA each hold the sha256 of the pyproject.toml installed. A
# stamp with the current hash covers what its command needs, and an extra's install holds the
# plain one too: `run` after `test` installs nothing. `test` after `run` adds only the
# extra's packages (no second build of the project).
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

stamp_path() {  # stamp_path EXTRA
    echo "$venv/.bp-studio-installed${1:+-$1}"
}

stamp_holds() {  # stamp_holds FILE HASH: the stamp FILE records HASH
    [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]
}

installed() {  # installed EXTRA HASH: the project with EXTRA is installed from HASH
    stamp_holds "$(stamp_path "$1")" "$2" && return 0
    if [ -z "$1" ]; then
        local stamp
        for stamp in "$venv"/.bp-studio-installed-*; do
            stamp_holds "$stamp" "$2" && return 0
        done
    fi
    return 1
}

pip_install() {
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$@" >&2
}

bootstrap() {
    local extra="${1:-}"
    if [ ! -x "$venv/bin/python" ]; then
        local python
        python="$(find_python)"
        echo "Creating $venv (first run) ..." >&2
        "$python" -m venv "$venv"
    fi
    local want
    want="$("$venv/bin/python" -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' "$root/pyproject.toml")"
    if installed "$extra" "$want"; then
        return 0
    fi
    if [ -n "$extra" ] && installed "" "$want"; then
        echo "Adding the $extra packages to $venv ..." >&2
        local requirement requirements=()
        while IFS= read -r requirement; do
            requirements+=("$requirement")
        done < <("$venv/bin/python" -c 'import sys, tomllib
with open(sys.argv[1], "rb") as file:
    print("\n".join(tomllib.load(file)["project"]["optional-dependencies"][sys.argv[2]]))' \
            "$root/pyproject.toml" "$extra")
        pip_install "${requirements[@]}"
    else
        echo "Installing BP Studio into $venv ..." >&2
        pip_install -e "$root${extra:+[$extra]}"
    fi
    echo "$want" >"$(stamp_path "$extra")"
}
