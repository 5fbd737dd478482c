#!/usr/bin/env bash
# Every benchmark of bench/ on a fresh clone, on CPython 3.11 and 3.13 (or
# the versions given), about 15 minutes on 2 cores:
#
#   bash bench/all.sh              # 3.11 and 3.13
#   bash bench/all.sh 3.12         # other versions (X.Y, found in pyenv)
#
# For each version: hpy-rs is installed (`pip install .`, a release build)
# into the virtualenv build/bench/venv-X.Y, then run.py (instructions with
# callgrind and wall time per call, every function, with the reference
# runtime except on 3.13, where it crashes), workload.py (the Vec4
# workload) and size.py run there. The output goes to the terminal and to
# build/bench/results-X.Y.txt. Needs valgrind, a C compiler, cargo and
# network access for the reference runtime (pip install hpy==0.9.0).
# Not part of scripts/test.sh.
#
#   HPY_BENCH_JOBS=N       callgrind runs at a time (run.py --jobs; default 2)
#   HPY_BENCH_RUN_ARGS=... more arguments for run.py, e.g.
#                          "--funcs api,parse,types --variants hpy-cpython,hpy-universal,ref-universal"
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/pythons.sh
. "$ROOT/scripts/pythons.sh"

for ver in "${@:-3.11 3.13}"; do
    for v in $ver; do
        py="$(find_python "$v")" || { echo "no CPython $v in pyenv" >&2; exit 1; }
        venv="$ROOT/build/bench/venv-$v"
        [ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
        "$venv/bin/python" -m pip install -q .
        ref=--reference
        [ "$v" = 3.13 ] && ref=
        out="$ROOT/build/bench/results-$v.txt"
        {
            echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -srm), $(git rev-parse --short HEAD)"
            # shellcheck disable=SC2086  # word splitting of the extra arguments
            "$venv/bin/python" bench/run.py $ref --time --jobs "${HPY_BENCH_JOBS:-2}" ${HPY_BENCH_RUN_ARGS:-}
            echo
            "$venv/bin/python" bench/workload.py $ref
            echo
            "$venv/bin/python" bench/size.py
        } 2>&1 | tee "$out"
    done
done
