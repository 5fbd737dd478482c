#!/usr/bin/env bash
# Reliability checks of hpy-rs (issue 11), all in one command:
#
#     bash scripts/check.sh            # everything (about an hour on 2 cores)
#     bash scripts/check.sh refleaks   # only some: hostile refleaks valgrind fuzz
#
# 1. hostile  - hostile files and values, threads, loading under pressure
#               (tests/test_hostile_*.py, test_threads.py, test_thread_stress.py,
#               test_refleaks.py, test_load_pressure.py, test_fuzz_corpus.py)
#               under one ordinary CPython 3.12.
# 2. refleaks - Debian's debug CPython (python3.11-dbg, installed here with
#               apt-get when missing; it has sys.gettotalrefcount): hpy-rs is
#               built for it in build/venvs/3.11-dbg (`pip install .`) and the
#               API test files run with tests/refleak_plugin.py, which runs each
#               test body many times and fails on a growing total refcount, in
#               the CPython, universal, hybrid and debug ABIs.
# 3. valgrind - memcheck (PYTHONMALLOC=malloc) over a part of the suite in the
#               universal and debug modes: fails on any invalid read/write, use
#               of uninitialised values or bad free, or on a definite leak
#               whose stack passes through hpy-rs (scripts/valgrind_summary.py
#               sorts them; CPython's own leaks at exit are counted, not
#               failed) that is not in scripts/valgrind-hpy.supp (CPython's
#               interned strings only: nothing of hpy-rs is suppressed).
#
# 4. fuzz     - coverage-guided fuzzing (Atheris, installed from PyPI; clang,
#               installed with apt-get) of HPyArg_Parse*, HPy_BuildValue and
#               HPyUnicode_FromFormat for HPY_FUZZ_SECONDS (default 120) per
#               target, with AddressSanitizer (fuzz/run_fuzz.py); fails on
#               any crash or wrong result (saved in build/fuzz/crashes/);
#               merges the inputs that found new paths into
#               tests/fuzz_corpus/TARGET/ (commit them: the test suite
#               replays them, tests/test_fuzz_corpus.py).
#
# Prints one PASS/FAIL line per check and "N passed, N failed" at the end;
# exits non-zero if any check failed. Logs: build/check-logs/.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
LOGS="$ROOT/build/check-logs"
mkdir -p "$LOGS"
. "$ROOT/scripts/pythons.sh"

CHECKS="${*:-hostile refleaks valgrind fuzz}"
PASSED=0; FAILED=0
declare -a SUMMARY=()

result() {  # name rc detail
    if [ "$2" -eq 0 ]; then PASSED=$((PASSED + 1)); s=PASS; else FAILED=$((FAILED + 1)); s=FAIL; fi
    SUMMARY+=("$(printf '  %-9s %s  %s' "$1" "$s" "$3")")
    echo "=== $1: $s ($3)"
}

# A venv for interpreter $1 in build/venvs/$2, with hpy-rs installed.
venv_for() {
    local py="$1" venv="$ROOT/build/venvs/$2"
    if ! "$venv/bin/python" -c 'import sys' 2>/dev/null; then
        rm -rf "$venv"
        "$py" -m venv "$venv" || return 1
    fi
    "$venv/bin/python" -m pip install -q --upgrade pip &&
    "$venv/bin/python" -m pip install -q 'setuptools>=77' 'setuptools-rust>=1.9' \
        wheel pytest pytest-xdist &&
    "$venv/bin/python" -m pip install -q --no-build-isolation "$ROOT" || return 1
    echo "$venv/bin/python"
}

last_line() { grep -E '[0-9]+ (passed|failed)' "$1" | tail -n1; }

QUICK_TESTS="tests/test_hostile_load.py tests/test_hostile_api.py tests/test_refleaks.py
             tests/test_threads.py tests/test_thread_stress.py tests/test_load_pressure.py
             tests/test_fuzz_corpus.py"

for check in $CHECKS; do
case "$check" in
hostile)
    log="$LOGS/hostile.log"
    py="$(find_python 3.12 || find_python 3.11 || command -v python3)"
    vpy="$(venv_for "$py" "$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" 2>"$log")"
    # shellcheck disable=SC2086
    [ -n "$vpy" ] && "$vpy" -m pytest $(ls $QUICK_TESTS 2>/dev/null) -p no:cacheprovider -q \
        -n 2 >>"$log" 2>&1
    result hostile $? "$(last_line "$log")"
    ;;
refleaks)
    log="$LOGS/refleaks.log"; : >"$log"
    if [ ! -x /usr/bin/python3.11-dbg ]; then
        { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
              python3.11-dbg python3.11-venv; } >>"$log" 2>&1
    fi
    vpy="$(venv_for /usr/bin/python3.11-dbg 3.11-dbg 2>>"$log")"
    # the API test files whose bodies are run many times; each in the
    # cpython, universal, hybrid and debug ABIs (the million-object chain
    # of test_field is left out: 15 runs of it take minutes on a debug build)
    files="tests/test_argparse.py tests/test_buildvalue.py tests/test_format.py
           tests/test_sequence.py tests/test_hostile_api.py tests/test_dict.py
           tests/test_long.py tests/test_numbers.py tests/test_unicode.py
           tests/test_field.py tests/test_calls.py tests/test_err.py
           tests/test_objects.py tests/test_object_protocol.py"
    # shellcheck disable=SC2086
    [ -n "$vpy" ] && PYTHONPATH="$ROOT/tests" HPY_REFLEAK_WINDOWS="${HPY_REFLEAK_WINDOWS:-3}" \
        HPY_REFLEAK_RUNS="${HPY_REFLEAK_RUNS:-4}" "$vpy" -m pytest $files -p refleak_plugin \
        -p no:cacheprovider -q -n 2 -rf --hpy-abi=cpython --hpy-abi=universal \
        --hpy-abi=hybrid --hpy-abi=debug \
        --deselect tests/test_field.py::test_long_chain_through_fields >>"$log" 2>&1
    rc=$?
    # test_refleaks.py measures its own leaks (thousands of instances and
    # loads): run once on the debug interpreter, not repeated by the plugin
    [ -n "$vpy" ] && "$vpy" -m pytest tests/test_refleaks.py -p no:cacheprovider -q -rf \
        --hpy-abi=cpython --hpy-abi=universal --hpy-abi=hybrid --hpy-abi=debug \
        >>"$log" 2>&1
    rc2=$?
    [ "$rc" -eq 0 ] && rc=$rc2
    result refleaks "$rc" "$(last_line "$log")"
    ;;
valgrind)
    log="$LOGS/valgrind.log"; : >"$log"
    command -v valgrind >/dev/null || { apt-get update -q &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q valgrind; } >>"$log" 2>&1
    py="$(find_python 3.12 || command -v python3)"
    vpy="$(venv_for "$py" "$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" 2>>"$log")"
    # the parser, builder, formatter (and the fuzz corpus), fields, hostile
    # inputs, in the universal and debug modes
    files="tests/test_argparse.py tests/test_buildvalue.py tests/test_format.py
           tests/test_fuzz_corpus.py tests/test_field.py tests/test_hostile_load.py
           tests/test_hostile_api.py"
    # shellcheck disable=SC2086
    PYTHONMALLOC=malloc valgrind --tool=memcheck --error-exitcode=99 \
        --errors-for-leak-kinds=none --show-leak-kinds=definite --leak-check=full \
        --num-callers=40 --suppressions="$ROOT/scripts/valgrind-hpy.supp" --trace-children=no \
        "$vpy" -m pytest $files --hpy-abi=universal --hpy-abi=debug -p no:cacheprovider -q \
        --deselect tests/test_field.py::test_long_chain_through_fields >>"$log" 2>&1
    rc=$?   # pytest's, or 99 for a memory error
    # definite leaks: only those whose stack passes through hpy-rs fail
    summary="$(python3 "$ROOT/scripts/valgrind_summary.py" "$log" | tail -n1)" || rc=1
    result valgrind $rc "$(last_line "$log"); $(grep -E 'ERROR SUMMARY' "$log" | tail -n1 | sed 's/^==[0-9]*== //'); $summary"
    ;;
fuzz)
    log="$LOGS/fuzz.log"; : >"$log"
    command -v clang >/dev/null || { apt-get update -q &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q clang; } >>"$log" 2>&1
    py="$(find_python 3.12 || find_python 3.11)"
    vpy="$(venv_for "$py" fuzz-3.12 2>>"$log")"
    rc=1
    if [ -n "$vpy" ] && "$vpy" -m pip install -q atheris >>"$log" 2>&1; then
        preload="$("$vpy" -c 'import atheris; print(atheris.path())')/asan_with_fuzzer.so"
        rc=0
        rm -rf build/fuzz/crashes; mkdir -p build/fuzz/crashes
        for target in parse buildvalue format; do
            work="build/fuzz/work-$target"; mkdir -p "$work" "tests/fuzz_corpus/$target"
            echo "--- fuzz $target for ${HPY_FUZZ_SECONDS:-120}s" >>"$log"
            LD_PRELOAD="$preload" HPY_FUZZ_ASAN=1 PYTHONMALLOC=malloc \
                ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 \
                "$vpy" fuzz/run_fuzz.py "$target" -max_total_time="${HPY_FUZZ_SECONDS:-120}" \
                -dict="fuzz/$target.dict" -artifact_prefix=build/fuzz/crashes/"$target"- \
                -print_final_stats=1 "$work" "tests/fuzz_corpus/$target" >>"$log" 2>&1 || rc=1
            # keep (in the repository) only the inputs that add coverage; the
            # merge runs its argv[0] again, so it gets a wrapper of its own
            wrapper="$ROOT/build/fuzz/run-$target.sh"
            printf '#!/bin/sh\nexec "%s" "%s" %s "$@"\n' "$vpy" "$ROOT/fuzz/run_fuzz.py" "$target" >"$wrapper"
            chmod +x "$wrapper"
            HPY_FUZZ_ARGV0="$wrapper" LD_PRELOAD="$preload" HPY_FUZZ_ASAN=1 PYTHONMALLOC=malloc \
                ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 \
                "$vpy" fuzz/run_fuzz.py "$target" -merge=1 -dict="fuzz/$target.dict" \
                "tests/fuzz_corpus/$target" "$work" >>"$log" 2>&1 || rc=1
        done
    fi
    [ -n "$(ls build/fuzz/crashes 2>/dev/null)" ] && rc=1
    result fuzz $rc "$(ls build/fuzz/crashes 2>/dev/null | wc -l) crashes (build/fuzz/crashes); $(grep -E 'stat::number_of_executed_units' "$log" | awk '{s+=$2} END {print s+0}') runs; corpus $(find tests/fuzz_corpus -type f | wc -l) files"
    ;;
*)
    echo "unknown check '$check' (hostile refleaks valgrind fuzz)"; FAILED=$((FAILED + 1))
    ;;
esac
done

echo "=== summary ==="
printf '%s\n' "${SUMMARY[@]}"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
