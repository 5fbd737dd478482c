"""examples/vec (two custom types: number and sequence slots, members, a
property, HPyFields with GC, a Python subclass, a legacy function) built
through setuptools in every ABI, as a user builds it: the same results
everywhere, and the universal file loaded by hpy.universal.load too."""
import pytest

import support

BUILD_ABIS = support.EXAMPLE_ABIS

EXPECTED = {
    'Vec(3, 4)': 'Vec(3, 4)',
    'Vec(3, 4).length': '5.0',
    'Vec(1, 2) + Vec(10, 20)': 'Vec(11, 22)',
    'Vec(1, 2) - Vec(10, 20)': 'Vec(-9, -18)',
    'Vec(1, 2) * 3': 'Vec(3, 6)',
    '0.5 * Vec(1, 2)': 'Vec(0.5, 1)',
    '-Vec(1, 2)': 'Vec(-1, -2)',
    'Vec(1, 2).dot(Vec(3, 4))': '11.0',
    'list(Vec(5, 6))': '[5.0, 6.0]',
    'len(Vec())': '2',
    'bool(Vec()), bool(Vec(y=1))': '(False, True)',
    'Vec(1, 2) == Vec(1, 2)': 'True',
    'v = Vec(1, 2); v.x += 10': 'Vec(11, 2)',
    'Vec3(1, 2, 3)': 'Vec3(1, 2, 3)',
    'Vec3(1, 2, 3) + Vec(1, 1)': 'Vec(2, 3)',
    'Node(1, Node(2, Node(3))).to_list()': '[1, 2, 3]',
    'a cycle of two Nodes is collected': 'True',
}
EXPECTED_ERRORS = {
    "Vec('a')": 'TypeError',
    'Vec(1, 2) + 1': 'TypeError',
    'Vec()[2]': 'IndexError',
    'Vec().dot(1)': 'TypeError',
    'Node()': 'TypeError',
}
LEGACY = {
    'cpython': '4.0',
    'hybrid': '4.0',
    'universal': "'not in the universal build'",
}


@pytest.fixture(scope='module')
def vec_builds(tmp_path_factory):
    """{abi: directory} with examples/vec built in place for each ABI."""
    return support.build_example_in_every_abi(
        'vec', ('vec.c', 'setup.py', 'pyproject.toml', 'try_vec.py'), tmp_path_factory)


def run_try_vec(cwd, *args):
    return support.run_example_script(cwd, 'try_vec.py', *args)


def check_results(results, abi):
    got = dict(results)
    for text, want in EXPECTED.items():
        assert got[text] == want, (abi, text, got[text])
    for text, exc in EXPECTED_ERRORS.items():
        assert got[text].startswith(exc + ':'), (abi, text, got[text])
    assert got['legacy_fsum([0.5, 1.5, 2])'] == LEGACY[abi], (abi, got)


@pytest.mark.parametrize('abi', BUILD_ABIS)
def test_vec_example(vec_builds, abi):
    out = run_try_vec(vec_builds[abi])
    check_results(out['results'], abi)


def test_vec_universal_loaded_directly(vec_builds):
    so = vec_builds['universal'] / 'vec.hpy0.so'
    assert so.exists()
    out = run_try_vec(vec_builds['universal'], '--load', str(so))
    check_results(out['results'], 'universal')
