"""libhpy_cpython.a, which every CPython-ABI extension links, contains no
Rust panic machinery.

hpy-core denies the lints that find panicking code (clippy::panic,
unwrap_used, expect_used, indexing_slicing), but arithmetic overflow checks,
slicing in a dependency or a call into core that can panic would still
bring panics in. This test checks the artifact that is shipped: the
release build installed as hpy/devel/lib/libhpy_cpython.a.

The criterion: the release profile links with LTO and `panic = "abort"`,
so a panic path that no exported function can reach is removed, and with
it the panic handler (`rust_begin_unwind`) and core's `core::panicking::*`
functions. So if no symbol of the library's own object files (every archive
member but the bundled compiler_builtins, whose members the linker only
takes on demand) names panic or unwind machinery, defined or undefined, no
exported function can panic. Symbol names are matched mangled, which works
for both Rust manglings (legacy `_ZN4core9panicking...` and v0 `_RNv...`):
both spell each path component out.
"""
import re
import shutil
import subprocess

import pytest

from hpy.devel import HPyDevel

pytestmark = pytest.mark.skipif(shutil.which('nm') is None, reason='needs nm')

# Names of panic machinery: core::panicking::*, the panic handler and the
# panic runtime, unwinding, and core's out-of-line failures of unwrap,
# expect and slice/str indexing.
PANIC_SYMBOL = re.compile(
    r'panic|unwind|unwrap_failed|expect_failed|index_len_fail|index_order_fail'
    r'|index_overflow_fail|slice_error_fail|assert_failed', re.IGNORECASE)


def archive_symbols(path):
    """{member: [(name, type)]} of a static library, from `nm -A -P`."""
    out = subprocess.run(['nm', '-A', '-P', str(path)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, universal_newlines=True,
                         check=True).stdout
    members = {}
    for line in out.splitlines():
        # "lib.a[member.o]: NAME TYPE [VALUE [SIZE]]"
        m = re.match(r'^.*\[(?P<member>[^\]]+)\]: (?P<name>\S+) (?P<type>\S)', line)
        if m:
            members.setdefault(m['member'], []).append((m['name'], m['type']))
    return members


def own_members(members):
    return {m: syms for m, syms in members.items()
            if not m.startswith('compiler_builtins-')}


def test_pattern_matches_both_manglings():
    # core::panicking::panic_bounds_check in the legacy and the v0 mangling,
    # core::option::unwrap_failed, and the panic handler's symbol
    for name in ['_ZN4core9panicking18panic_bounds_check17h0123456789abcdefE',
                 '_RNvNtCs1234_4core9panicking18panic_bounds_check',
                 '_ZN4core6option13unwrap_failed17h0123456789abcdefE',
                 'rust_begin_unwind']:
        assert PANIC_SYMBOL.search(name), name
    for name in ['ctx_Call', '_HPyModuleDef_CPyInit', 'PyErr_SetString', 'memcpy']:
        assert not PANIC_SYMBOL.search(name), name


def test_libhpy_cpython_has_no_panic_machinery():
    lib = HPyDevel().cpython_lib
    assert lib.is_file(), '%s is missing: is hpy-rs installed?' % lib
    own = own_members(archive_symbols(lib))
    assert own, 'no object file of hpy-cpython in %s' % lib
    defined = {name for syms in own.values() for name, kind in syms if kind in 'TtDdRrBb'}
    # not vacuous: the library's code is there
    assert '_HPyModuleDef_CPyInit' in defined
    assert len([n for n in defined if n.startswith('ctx_')]) >= 30
    found = sorted('%s: %s (%s)' % (member, name, kind)
                   for member, syms in own.items()
                   for name, kind in syms if PANIC_SYMBOL.search(name))
    assert not found, 'panic machinery in %s:\n%s' % (lib, '\n'.join(found))
