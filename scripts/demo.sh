#!/usr/bin/env bash
# The hpy-rs demo: build each example (examples/pof, the proof-of-concept
# module, and examples/vec, two custom types) from one C source as a
# CPython-ABI extension, a universal extension and a hybrid extension; use it
# in each; then load the very same universal .hpy0.so files, unchanged, under
# another CPython version; last, the one-binary table: the universal
# vec.hpy0.so, without a stub, imported by every CPython 3.9-3.13 found
# (build/demo/one-binary.md).
#
#   bash scripts/demo.sh
#   HPY_DEMO_PYTHON=3.11 HPY_DEMO_OTHER_PYTHONS="3.12 3.13" bash scripts/demo.sh
#
# Interpreters come from pyenv: $(pyenv root)/versions/X.Y.Z (or
# $PYENV_ROOT, or ~/.pyenv). Virtualenvs go to build/venvs/X.Y, the builds
# to build/demo/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
MAIN_VER="${HPY_DEMO_PYTHON:-3.11}"
OTHER_VERS="${HPY_DEMO_OTHER_PYTHONS:-3.13}"
DEMO="$ROOT/build/demo"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

# shellcheck source=scripts/pythons.sh
. "$ROOT/scripts/pythons.sh"

banner() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# venv_with_hpy X.Y -> prints the venv's python, after `pip install .`
venv_with_hpy() {
    local ver="$1" py venv
    py="$(find_python "$ver")" || { echo "no CPython $ver under $PYENV_ROOT_DIR/versions" >&2; return 1; }
    venv="$ROOT/build/venvs/$ver"
    if ! "$venv/bin/python" -c 'import sys' 2>/dev/null; then
        echo "creating $venv with $py" >&2
        rm -rf "$venv"
        "$py" -m venv "$venv"
    fi
    # once per run of this script ($$: the script's own PID, in subshells too)
    if [ ! -e "$venv/.hpy-demo-$$" ]; then
        echo "pip install . (Python $ver; compiles the Rust runtime)" >&2
        "$venv/bin/python" -m pip install -q --upgrade pip >&2
        "$venv/bin/python" -m pip install -q "$ROOT" >&2
        rm -f "$venv"/.hpy-demo-*
        touch "$venv/.hpy-demo-$$"
    fi
    echo "$venv/bin/python"
}

banner "Installing hpy-rs into a Python $MAIN_VER venv"
PY="$(venv_with_hpy "$MAIN_VER")"

rm -rf "$DEMO"
mkdir -p "$DEMO"
# build_example NAME: examples/NAME built in place for each ABI, in
# build/demo/NAME-ABI, with the example's own setup.py
build_example() {
    local name="$1" abi
    for abi in cpython universal hybrid; do
        banner "Building examples/$name for the $abi ABI: python setup.py --hpy-abi=$abi build_ext --inplace"
        mkdir -p "$DEMO/$name-$abi"
        cp "examples/$name"/*.c "examples/$name/setup.py" "examples/$name/pyproject.toml" \
           "examples/$name/try_$name.py" "$DEMO/$name-$abi/"
        (cd "$DEMO/$name-$abi" && "$PY" setup.py -q --hpy-abi="$abi" build_ext --inplace >build.log 2>&1) \
            || { cat "$DEMO/$name-$abi/build.log"; exit 1; }
        for f in "$DEMO/$name-$abi/$name"*.so "$DEMO/$name-$abi/$name.py"; do
            [ -e "$f" ] && echo "    built: ${f#"$ROOT"/}"
        done
    done
    for abi in cpython universal hybrid; do
        banner "Python $MAIN_VER, $abi ABI: import $name"
        (cd "$DEMO/$name-$abi" && "$PY" "try_$name.py")
    done
}

build_example pof
build_example vec

banner "Python $MAIN_VER, universal ABI through hpy.universal.load('pof', 'pof.hpy0.so', spec)"
(cd "$DEMO/pof-universal" && "$PY" try_pof.py --load "$DEMO/pof-universal/pof.hpy0.so")

UNIVERSAL_SO="$DEMO/pof-universal/pof.hpy0.so"
for ver in $OTHER_VERS; do
    if ! find_python "$ver" >/dev/null; then
        echo "(no CPython $ver under $PYENV_ROOT_DIR/versions: skipped)"
        continue
    fi
    banner "The same pof.hpy0.so under Python $ver"
    OPY="$(venv_with_hpy "$ver")"
    dir="$DEMO/pof-universal-on-$ver"
    mkdir -p "$dir"
    # the file built by Python $MAIN_VER, byte for byte, with its stub
    cp "$UNIVERSAL_SO" "$DEMO/pof-universal/pof.py" "$DEMO/pof-universal/try_pof.py" "$dir/"
    echo "    built with Python $MAIN_VER: $(sha256sum "$UNIVERSAL_SO" | cut -c1-16)...  $UNIVERSAL_SO"
    echo "    loaded by Python $ver:    $(sha256sum "$dir/pof.hpy0.so" | cut -c1-16)...  $dir/pof.hpy0.so"
    (cd "$dir" && "$OPY" try_pof.py)
    cp "$DEMO/vec-universal/vec.hpy0.so" "$DEMO/vec-universal/vec.py" "$DEMO/vec-universal/try_vec.py" "$dir/"
    echo "    and the vec example's vec.hpy0.so, built with Python $MAIN_VER:"
    (cd "$dir" && "$OPY" try_vec.py)
done

# -- one binary everywhere ----------------------------------------------------
# vec.hpy0.so as built above by Python $MAIN_VER, copied without its stub:
# every CPython 3.9-3.13 found imports it (`import vec`, through the finder
# that hpy-rs installs) and runs the example's steps, which must give what
# they give under Python $MAIN_VER. The table is Markdown (README.md shows it).
ONE="$DEMO/one-binary"
mkdir -p "$ONE"
cp "$DEMO/vec-universal/vec.hpy0.so" "examples/vec/try_vec.py" "$ONE/"
(cd "$ONE" && "$PY" try_vec.py --json >expected.json)
SHA="$(sha256sum "$ONE/vec.hpy0.so" | cut -c1-12)"
ROWS=()
for ver in ${HPY_DEMO_TABLE_PYTHONS:-3.9 3.10 3.11 3.12 3.13}; do
    if ! find_python "$ver" >/dev/null; then
        ROWS+=("| $ver | (no CPython $ver under $PYENV_ROOT_DIR/versions) | | | |")
        continue
    fi
    banner "One binary: Python $ver imports build/demo/one-binary/vec.hpy0.so (no stub)"
    OPY="$(venv_with_hpy "$ver")"
    ROWS+=("$(cd "$ONE" && "$OPY" - "$SHA" <<'PYEOF'
import hashlib, json, os, sys
sys.path.insert(0, '')
import vec
import try_vec
expected = json.load(open('expected.json'))['results']
got = json.loads(json.dumps(try_vec.results(vec)))
same = sum(1 for e, g in zip(expected, got) if e == g)
sha = hashlib.sha256(open(vec.__file__, 'rb').read()).hexdigest()[:12]
assert sha == sys.argv[1], 'not the same file'
stub = 'vec.py' if os.path.exists('vec.py') else 'none'
print('| %d.%d.%d | `%s` | `%s...` | %s | %d/%d the same |' % (
    sys.version_info[:3] + (os.path.basename(vec.__file__), sha,
    type(vec.__loader__).__name__ + ', stub: ' + stub, same, len(expected))))
PYEOF
)")
done
banner "One binary everywhere: vec.hpy0.so, built once by Python $MAIN_VER"
{
    echo "| CPython | file imported | sha256 | loader | vec steps vs Python $MAIN_VER |"
    echo "|---|---|---|---|---|"
    printf '%s\n' "${ROWS[@]}"
} | tee "$DEMO/one-binary.md"

banner "Done"
echo "CPython ABI, universal and hybrid builds of the same pof.c and vec.c gave the results above."
