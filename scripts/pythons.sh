# Sourced by demo.sh and test.sh: finds the CPython interpreters in pyenv.
#
#   PYENV_ROOT_DIR           $(pyenv root), else $PYENV_ROOT, else ~/.pyenv
#   find_python X.Y          prints the newest $PYENV_ROOT_DIR/versions/X.Y.Z/bin/python
#                            (plain release numbers only); fails if there is none

pyenv_root() {
    if command -v pyenv >/dev/null 2>&1 && pyenv root >/dev/null 2>&1; then
        pyenv root
    elif [ -n "${PYENV_ROOT:-}" ]; then
        echo "$PYENV_ROOT"
    else
        echo "$HOME/.pyenv"
    fi
}
PYENV_ROOT_DIR="$(pyenv_root)"

find_python() {
    local ver="$1" d base best=""
    for d in "$PYENV_ROOT_DIR"/versions/"$ver".*; do
        base="${d##*/}"
        [ -x "$d/bin/python" ] || continue
        [[ "$base" =~ ^${ver//./\\.}\.[0-9]+$ ]] || continue
        best="$(printf '%s\n%s\n' "$best" "$d" | sed '/^$/d' | sort -V | tail -n1)"
    done
    [ -n "$best" ] && echo "$best/bin/python"
}
