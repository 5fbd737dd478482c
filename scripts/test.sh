#!/usr/bin/env bash
# Run every test of hpy-rs: the Rust checks (cargo fmt --check, cargo clippy
# with warnings as errors, the Rust tests), then the pytest suite under each
# CPython 3.9 ... 3.13 found in pyenv.
#
#   bash scripts/test.sh                         # everything
#   HPY_TEST_PYTHONS="3.11 3.12" bash scripts/test.sh
#   HPY_TEST_NO_CARGO=1 bash scripts/test.sh     # skip fmt, clippy and cargo test
#   HPY_CARGO_TEST_ARGS="-p hpy-gen" bash scripts/test.sh
#   bash scripts/test.sh -k argparse             # extra arguments go to pytest
#
# For each Python X.Y a virtualenv build/venvs/X.Y is created (or reused);
# hpy-rs is built into a wheel (build/wheels/) and installed from it, plus
# pytest and pytest-xdist -- for every Python first -- then
# `python -m pytest tests -n 2` runs in each. Logs go to
# build/test-logs/. Exits non-zero if anything failed; the last line is
# "N passed, N failed, N skipped" over all of it.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PYTHONS="${HPY_TEST_PYTHONS:-3.9 3.10 3.11 3.12 3.13}"
JOBS="${HPY_TEST_JOBS:-2}"
CARGO_TEST_ARGS="${HPY_CARGO_TEST_ARGS:---workspace}"
VENVS="$ROOT/build/venvs"
LOGS="$ROOT/build/test-logs"
mkdir -p "$VENVS" "$LOGS"

# shellcheck source=scripts/pythons.sh
. "$ROOT/scripts/pythons.sh"

now() { date +%s; }
fmt_time() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

TOTAL_PASSED=0; TOTAL_FAILED=0; TOTAL_SKIPPED=0
STEPS_FAILED=0; STEPS_RUN=0
declare -a SUMMARY=()
START_ALL=$(now)

# count WORD in a pytest summary line: "3 failed, 250 passed, 2 skipped in 9s"
count_of() { echo "$1" | grep -oE "[0-9]+ $2" | head -n1 | grep -oE '^[0-9]+' || echo 0; }

record() {  # name status seconds passed failed skipped detail
    local name="$1" status="$2" secs="$3" p="$4" f="$5" s="$6" detail="$7"
    STEPS_RUN=$((STEPS_RUN + 1))
    if [ "$status" != PASS ]; then
        STEPS_FAILED=$((STEPS_FAILED + 1))
        # a step that failed without failing tests (a build error) counts once
        [ "$f" -eq 0 ] && f=1
    fi
    TOTAL_PASSED=$((TOTAL_PASSED + p)); TOTAL_FAILED=$((TOTAL_FAILED + f))
    TOTAL_SKIPPED=$((TOTAL_SKIPPED + s))
    SUMMARY+=("$(printf '  %-12s %-5s %7s  %s' "$name" "$status" "$(fmt_time "$secs")" "$detail")")
}

# pyo3's build script needs an interpreter; the Rust checks and tests do not
# link libpython.
PYO3_PY="$(find_python 3.11 || true)"
[ -z "$PYO3_PY" ] && PYO3_PY="$(command -v python3 || true)"

# -- 1. Rust formatting and lints ---------------------------------------------
# A step each, counted like the others (one failure if it fails).
rust_check() {  # name log command...
    local name="$1" log="$2"; shift 2
    echo "=== $* ==="
    local t0; t0=$(now)
    PYO3_PYTHON="$PYO3_PY" "$@" 2>&1 | tee "$log"
    if [ "${PIPESTATUS[0]}" -eq 0 ]; then
        record "$name" PASS $(($(now) - t0)) 1 0 0 "clean"
    else
        record "$name" FAIL $(($(now) - t0)) 0 1 0 "see $log"
    fi
}
if [ -z "${HPY_TEST_NO_CARGO:-}" ]; then
    rust_check "cargo fmt" "$LOGS/cargo-fmt.log" cargo fmt --all --check
    rust_check "cargo clippy" "$LOGS/cargo-clippy.log" \
        cargo clippy --workspace --all-targets -- -D warnings
fi

# -- 2. Rust tests ------------------------------------------------------------
if [ -z "${HPY_TEST_NO_CARGO:-}" ]; then
    echo "=== cargo test $CARGO_TEST_ARGS ==="
    t0=$(now)
    log="$LOGS/cargo-test.log"
    # shellcheck disable=SC2086
    PYO3_PYTHON="$PYO3_PY" cargo test $CARGO_TEST_ARGS 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    p=$(awk '/^test result:/ {n += $4} END {print n + 0}' "$log")
    f=$(awk '/^test result:/ {n += $6} END {print n + 0}' "$log")
    s=$(awk '/^test result:/ {n += $8} END {print n + 0}' "$log")
    if [ "$status" -eq 0 ]; then
        record "cargo test" PASS $(($(now) - t0)) "$p" "$f" "$s" "$p passed, $f failed, $s ignored"
    else
        record "cargo test" FAIL $(($(now) - t0)) "$p" "$f" "$s" "see $log"
    fi
fi

# -- 3. hpy-rs into a venv of every Python --------------------------------
# All venvs are made before any test runs: the cross-version tests load one
# file (and one wheel) under every installed CPython. The hpy-rs wheel of
# each Python goes to build/wheels/, for the tests that build extension
# projects in pip's isolated build environments (PIP_FIND_LINKS).
WHEELS="$ROOT/build/wheels"
mkdir -p "$WHEELS"
declare -A INSTALLED=()
for ver in $PYTHONS; do
    py="$(find_python "$ver" || true)"
    [ -z "$py" ] && continue
    echo "=== Python $ver ($py): pip install . ==="
    venv="$VENVS/$ver"
    log="$LOGS/install-$ver.log"
    (
        set -e
        if ! "$venv/bin/python" -c 'import sys' 2>/dev/null; then
            rm -rf "$venv"
            "$py" -m venv "$venv"
        fi
        vpy="$venv/bin/python"
        export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
        # the build requirements live in the venv, so that `pip install .`
        # needs no isolated build environment of its own
        "$vpy" -m pip install -q --upgrade pip
        "$vpy" -m pip install -q 'setuptools>=77' 'setuptools-rust>=1.9' wheel \
            pytest pytest-xdist
        tag="$("$vpy" -c 'import sys; print("cp%d%d" % sys.version_info[:2])')"
        rm -f "$WHEELS"/hpy_rs-*-"$tag"-*.whl
        "$vpy" -m pip wheel -q --no-build-isolation --no-deps -w "$WHEELS" "$ROOT"
        "$vpy" -m pip install -q --force-reinstall --no-deps "$WHEELS"/hpy_rs-*-"$tag"-*.whl
        "$vpy" -m pip install -q "$WHEELS"/hpy_rs-*-"$tag"-*.whl
    ) >"$log" 2>&1
    if [ $? -eq 0 ]; then
        INSTALLED[$ver]=1
    else
        cat "$log"
    fi
done

# -- 4. pytest under every Python --------------------------------------------
for ver in $PYTHONS; do
    py="$(find_python "$ver" || true)"
    if [ -z "$py" ]; then
        echo "=== Python $ver: none under $PYENV_ROOT_DIR/versions, skipped ==="
        SUMMARY+=("$(printf '  %-12s %-5s' "python $ver" "ABSENT")")
        continue
    fi
    echo "=== Python $ver ($py) ==="
    t0=$(now)
    venv="$VENVS/$ver"
    log="$LOGS/pytest-$ver.log"
    if [ -z "${INSTALLED[$ver]:-}" ]; then
        record "python $ver" FAIL 0 0 0 0 "pip install . failed: see $LOGS/install-$ver.log"
        continue
    fi
    (
        set -e
        cd "$ROOT"
        "$venv/bin/python" -m pytest tests -n "$JOBS" -p no:cacheprovider -q -rfEs "$@"
    ) 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    line="$(grep -E '[0-9]+ (passed|failed|errors?|skipped)' "$log" | grep -E ' in [0-9.]+s' | tail -n1 | sed 's/=//g; s/^ *//; s/ *$//')"
    p=$(count_of "$line" passed); f=$(count_of "$line" failed)
    e=$(count_of "$line" error); s=$(count_of "$line" skipped)
    f=$((f + e))
    if [ "$status" -eq 0 ]; then
        record "python $ver" PASS $(($(now) - t0)) "$p" "$f" "$s" "$line"
    else
        record "python $ver" FAIL $(($(now) - t0)) "$p" "$f" "$s" "${line:-see $log}"
    fi
done

# -- summary -----------------------------------------------------------------
echo
echo "=== summary: $STEPS_RUN steps, $STEPS_FAILED failed, $(fmt_time $(($(now) - START_ALL))) ==="
for line in "${SUMMARY[@]}"; do echo "$line"; done
if [ "$STEPS_RUN" -eq 0 ]; then
    echo "no Python found under $PYENV_ROOT_DIR/versions and cargo test skipped: nothing ran"
    STEPS_FAILED=1; TOTAL_FAILED=1
fi
echo "$TOTAL_PASSED passed, $TOTAL_FAILED failed, $TOTAL_SKIPPED skipped"
[ "$STEPS_FAILED" -eq 0 ]
