"""Coverage-guided fuzzing of the C helpers that parse, build and format
values (issue 11, part 3), with Atheris (libFuzzer for Python):

    python fuzz/run_fuzz.py TARGET [libFuzzer options] CORPUS_DIR...

TARGET is parse (HPyArg_Parse, HPyArg_ParseKeywords, HPyArg_ParseKeywordsDict),
buildvalue (HPy_BuildValue) or format (HPyUnicode_FromFormat). The harness
module of tests/fuzz_harness.py is compiled for the universal ABI with clang
and -fsanitize=fuzzer-no-link (plus -fsanitize=address with HPY_FUZZ_ASAN=1),
together with the C helpers themselves (compiled from hpy.devel's sources with
the same flags, so that libFuzzer sees their branches), and loaded by
hpy.universal. Each input is decoded and checked by fuzz_harness.run_one: a
wrong result raises, and libFuzzer saves the input as crash-*; so does a
real crash. `scripts/check.sh fuzz` runs it for a bounded time per target,
preloading Atheris's asan_with_fuzzer.so (which gives the instrumented module
libFuzzer's symbols), and merges the inputs that found new paths into
tests/fuzz_corpus/TARGET/, which tests/test_fuzz_corpus.py replays.
"""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'tests'))
os.environ['HPY_TEST_STATIC_LIBS'] = '0'      # compile the helpers, instrumented

import atheris  # noqa: E402

import fuzz_harness  # noqa: E402
import support  # noqa: E402


def build_harness():
    support.CC = os.environ.get('HPY_FUZZ_CC', 'clang')
    flags = ['-O1', '-g', '-fPIC', '-fno-omit-frame-pointer', '-fsanitize=fuzzer-no-link']
    if os.environ.get('HPY_FUZZ_ASAN') == '1':
        flags.append('-fsanitize=address')
    support.CFLAGS = flags
    cache = ROOT / 'build' / 'fuzz' / ('cache-asan' if 'address' in str(flags) else 'cache')
    compiler = support.Compiler(cache)
    module = compiler.compile_module(fuzz_harness.SOURCE, 'universal', 'fuzzharness')
    return compiler.load_module(module)


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in fuzz_harness.TARGETS:
        sys.exit('usage: run_fuzz.py {%s} [libFuzzer options] CORPUS_DIR...'
                 % '|'.join(fuzz_harness.TARGETS))
    target = sys.argv[1]
    mod = build_harness()
    caller = None if target == 'parse' else fuzz_harness.Caller(mod)

    def test_one_input(data):
        fuzz_harness.run_one(mod, caller, target, data)

    # libFuzzer's -merge runs argv[0] again as a command: HPY_FUZZ_ARGV0
    # names an executable wrapper that runs this script with TARGET
    argv0 = os.environ.get('HPY_FUZZ_ARGV0', sys.argv[0])
    atheris.Setup([argv0] + sys.argv[2:], test_one_input)
    atheris.Fuzz()


if __name__ == '__main__':
    main()
