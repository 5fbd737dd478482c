"""Replays the fuzzing corpus (issue 11, part 3): every input kept in
tests/fuzz_corpus/TARGET/ -- the ones with which the coverage-guided fuzzer
(fuzz/run_fuzz.py, `scripts/check.sh fuzz`) found new paths through
HPyArg_Parse*, HPy_BuildValue and HPyUnicode_FromFormat, and the crashes it
found, once fixed -- must give a correct result or a clean Python exception
(tests/fuzz_harness.py decodes and checks them). The variadic helpers are
called through ctypes with the object pointer as the handle, so those two
targets run where a handle is the pointer; the parser also in debug mode."""
import gc
from pathlib import Path

import pytest

import fuzz_harness

CORPUS = Path(__file__).resolve().parent / 'fuzz_corpus'
HPY_ABIS = ['cpython', 'universal', 'hybrid', 'debug']


def corpus(target):
    return sorted(p for p in (CORPUS / target).glob('*') if p.is_file())


@pytest.fixture
def harness(make_module):
    return make_module(fuzz_harness.SOURCE, name='fuzzharness')


def test_the_corpus_is_there():
    for target in fuzz_harness.TARGETS:
        assert len(corpus(target)) >= 10, target


def replay(harness, target):
    caller = None if target == 'parse' else fuzz_harness.Caller(harness)
    outcomes = {'ok': 0, 'error': 0}
    for path in corpus(target):
        try:
            outcomes[fuzz_harness.run_one(harness, caller, target, path.read_bytes())] += 1
        except fuzz_harness.FuzzFailure as e:
            raise AssertionError('%s: %s' % (path.name, e))
    gc.collect()
    # the corpus exercises both the results and the errors
    assert outcomes['ok'] > 0 and outcomes['error'] > 0, outcomes
    # and the module still works
    assert harness.set_format(b'i', (), False) is None
    assert harness.parse(5) == [5]


def test_replay_parse(harness):
    replay(harness, 'parse')


@pytest.mark.parametrize('target', ['buildvalue', 'format'])
def test_replay_variadic(harness, hpy_abi, target):
    if hpy_abi == 'debug':
        pytest.skip('called through ctypes with object pointers as handles; '
                    'debug handles are not pointers')
    replay(harness, target)
