#!/usr/bin/env bash
# Run the test suite of the reference HPy 0.9.0 (from its source release on
# PyPI) against hpy-rs: its C snippets are compiled with our headers and
# helpers (hpy.devel) and loaded by our runtime (hpy.universal). A check for
# developers, not part of the test command: it needs PyPI and takes ~8 min.
#
#   bash scripts/upstream-tests.sh                      # CPython 3.11, every test
#   HPY_UPSTREAM_PYTHON=3.12 bash scripts/upstream-tests.sh -k hpytype
#   bash scripts/upstream-tests.sh test/test_slots.py   # paths are in the sdist
#
# Extra arguments go to pytest (default: the whole `test` folder). Until
# debug and trace mode exist, their tests are deselected. Output is also
# written to build/upstream/pytest-X.Y.log.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VER="${HPY_UPSTREAM_PYTHON:-3.11}"
WORK="$ROOT/build/upstream"
mkdir -p "$WORK"
# shellcheck source=scripts/pythons.sh
. "$ROOT/scripts/pythons.sh"
py="$(find_python "$VER")" || { echo "no CPython $VER under $PYENV_ROOT_DIR/versions" >&2; exit 1; }

export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
venv="$WORK/venv-$VER"
if ! "$venv/bin/python" -c 'import sys' 2>/dev/null; then
    rm -rf "$venv"
    "$py" -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q 'setuptools>=77' 'setuptools-rust>=1.9' wheel \
    pytest pytest-xdist filelock || exit 1
"$venv/bin/python" -m pip install -q --no-build-isolation "$ROOT" || exit 1

src="$WORK/hpy-0.9.0"
if [ ! -d "$src/test" ]; then
    "$venv/bin/python" -m pip download -q --no-deps --no-binary :all: \
        -d "$WORK" hpy==0.9.0 || exit 1
    tar -xzf "$WORK/hpy-0.9.0.tar.gz" -C "$WORK" || exit 1
fi

# The suite's conftest imports hpy.debug.leakdetector; until hpy-rs has
# debug mode, a pytest plugin (loaded before any conftest) stands in for it.
# test_distutils installs hpy-rs (HPY_RS_ROOT), not the sdist, in its venvs.
PYTHONPATH="$ROOT/scripts/upstream${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONPATH HPY_RS_ROOT="$ROOT"
args=(-p hpy_rs_root)
if ! "$venv/bin/python" -c 'import hpy.debug.leakdetector' 2>/dev/null; then
    args+=(-p no_debug_mode --ignore=test/debug --ignore=test/trace
           -k 'not debug and not trace')
fi
[ "$#" -eq 0 ] && set -- test

cd "$src"
"$venv/bin/python" -m pytest -n 2 -q -p no:cacheprovider -rfE "${args[@]}" "$@" \
    2>&1 | tee "$WORK/pytest-$VER.log"
exit "${PIPESTATUS[0]}"
