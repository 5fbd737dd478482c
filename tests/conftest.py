"""pytest configuration: ABI-mode parametrization and the module compiler.

Every test that asks for `hpy_abi` (directly or through `make_module`) runs
once per ABI mode. The modes are, in order of precedence:
  - a module-level (or class-level) `HPY_ABIS = [...]` in the test file,
  - `--hpy-abi=MODE` on the command line (repeatable) or the environment
    variable HPY_TEST_ABIS="cpython universal",
  - support.DEFAULT_ABIS (cpython, universal, hybrid, debug, hybrid+debug).

In the debug modes every test also fails if it leaves handles open (see
`pytest_runtest_call`); a test that leaks on purpose says so with
`@pytest.mark.leaks_handles(reason)`.
"""
import os

import pytest

import support

# the hpy_debug fixture (runs a test under hpy.debug.LeakDetector)
pytest_plugins = ['hpy.debug.pytest']


def pytest_configure(config):
    config.addinivalue_line(
        'markers',
        'leaks_handles(reason): the test leaves debug-mode handles open on '
        'purpose (not checked for leaks in the debug modes)')
    config.addinivalue_line(
        'markers', 'refleak_known(reason): tests/refleak_plugin.py does not fail '
        'this test on a growing refcount (a documented, bounded leak; the reason says which)')


def _checks_leaks(item):
    """Whether `item` runs in a debug mode and is not marked leaks_handles."""
    callspec = getattr(item, 'callspec', None)
    abi = callspec.params.get('hpy_abi') if callspec is not None else None
    return (isinstance(abi, str) and 'debug' in abi
            and item.get_closest_marker('leaks_handles') is None)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Every test in a debug mode (debug, hybrid+debug) fails if it leaves
    handles open: those opened while it ran and still open at its end (as
    hpy.debug.LeakDetector finds them). A test that fails otherwise keeps
    its own failure. The leaked handles are closed after the report."""
    if not _checks_leaks(item):
        return (yield)
    from hpy.universal import _debug
    from hpy.debug import HPyLeakError
    gen = _debug.new_generation()
    result = yield
    leaks = _debug.get_open_handles(gen)
    if leaks:
        # rendered before the handles are closed (a DebugHandle shows the
        # handle now in its record)
        report = str(HPyLeakError(leaks))
        for h in leaks:
            h._force_close()
        pytest.fail('debug mode: the test left handles open: ' + report, pytrace=False)
    return result


def pytest_addoption(parser):
    parser.addoption(
        '--hpy-abi', action='append', default=[], dest='hpy_abis',
        choices=sorted(support.ABI_MODES),
        help='ABI mode(s) to run the tests in (default: %s)'
             % ' '.join(support.DEFAULT_ABIS))


def _configured_abis(config):
    abis = list(config.getoption('hpy_abis'))
    if not abis and os.environ.get('HPY_TEST_ABIS'):
        abis = os.environ['HPY_TEST_ABIS'].replace(',', ' ').split()
    for abi in abis:
        if abi not in support.ABI_MODES:
            raise pytest.UsageError('unknown HPy ABI mode %r' % abi)
    return abis or list(support.DEFAULT_ABIS)


def pytest_generate_tests(metafunc):
    if 'hpy_abi' not in metafunc.fixturenames:
        return
    wanted = (getattr(metafunc.cls, 'HPY_ABIS', None)
              or getattr(metafunc.module, 'HPY_ABIS', None))
    configured = _configured_abis(metafunc.config)
    if wanted is None:
        abis = configured
    else:
        # a file restricted to some modes runs those that are configured
        # (none: its tests are reported as skipped)
        abis = [a for a in wanted if a in configured]
    metafunc.parametrize('hpy_abi', abis)


@pytest.fixture(scope='session')
def compiler(tmp_path_factory):
    return support.Compiler(support.session_cache_dir(tmp_path_factory))


@pytest.fixture(scope='session')
def configured_abis(request):
    return _configured_abis(request.config)


@pytest.fixture
def compile_module(compiler, hpy_abi):
    """compile_module(src, name='mytest') -> support.HPyModule (not loaded)."""
    def compile_module(src, name='mytest'):
        return compiler.compile_module(src, hpy_abi, name)
    return compile_module


@pytest.fixture
def make_module(compiler, hpy_abi, configured_abis):
    """make_module(src, name='mytest') -> the loaded module.

    Without xdist, the snippet is compiled for every configured ABI at once
    (in parallel) so the other ABI runs of the same test find it cached."""
    also = () if os.environ.get('PYTEST_XDIST_WORKER') else configured_abis

    def make_module(src, name='mytest'):
        mod = compiler.compile_module(src, hpy_abi, name, also=also)
        return compiler.load_module(mod)
    return make_module
