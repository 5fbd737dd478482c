"""Hostile files given to hpy.universal.load (issue 11, part 3).

Each must raise HPyLoadError (an ImportError and a RuntimeError) naming the
module, and leave the process healthy: a good module loads and works right
after. A truncated copy of a real module used to kill the process with SIGBUS
inside the dynamic loader; the runtime now checks the ELF header and every
loadable segment against the file size before dlopen."""
import os
import shutil

import pytest

from test_loader import GOOD_SRC, check_load_error, load


@pytest.fixture(scope='module')
def good(request):
    compiler = request.getfixturevalue('compiler')
    return compiler.compile_module(GOOD_SRC, 'universal', name='goodmod')


def _random_file(path, good_so):
    path.write_bytes(os.urandom(4096))


def _empty_file(path, good_so):
    path.write_bytes(b'')


def _directory(path, good_so):
    path.mkdir()


def _elf_magic_only(path, good_so):
    path.write_bytes(b'\x7fELF')


def _truncated(fraction):
    def make(path, good_so):
        with open(good_so, 'rb') as f:
            data = f.read()
        path.write_bytes(data[:max(1, int(len(data) * fraction))])
    make.__name__ = '_truncated_%d_percent' % int(fraction * 100)
    return make


def _load_segments(data):
    """(p_offset, p_filesz) of each PT_LOAD of a little-endian ELF64 file."""
    phoff = int.from_bytes(data[32:40], 'little')
    phentsize = int.from_bytes(data[54:56], 'little')
    phnum = int.from_bytes(data[56:58], 'little')
    out = []
    for i in range(phnum):
        base = phoff + i * phentsize
        if int.from_bytes(data[base:base + 4], 'little') == 1:
            out.append((int.from_bytes(data[base + 8:base + 16], 'little'),
                        int.from_bytes(data[base + 32:base + 40], 'little')))
    return out


def _last_segment_cut(path, good_so):
    """Cut one byte before the end of the last loadable segment: the case
    that made the dynamic loader die with SIGBUS."""
    with open(good_so, 'rb') as f:
        data = f.read()
    end = max(off + size for off, size in _load_segments(data))
    path.write_bytes(data[:end - 1])


def _header_only(path, good_so):
    with open(good_so, 'rb') as f:
        data = f.read()
    path.write_bytes(data[:64])


def _wrong_class(path, good_so):
    with open(good_so, 'rb') as f:
        data = bytearray(f.read())
    data[4] = 1 if data[4] == 2 else 2
    path.write_bytes(bytes(data))


def _huge_phoff(path, good_so):
    with open(good_so, 'rb') as f:
        data = bytearray(f.read())
    data[32:40] = (2**63).to_bytes(8, 'little')
    path.write_bytes(bytes(data))


def _segment_past_end(path, good_so):
    """Grows the file size of the last PT_LOAD beyond the file."""
    with open(good_so, 'rb') as f:
        data = bytearray(f.read())
    phoff = int.from_bytes(data[32:40], 'little')
    phentsize = int.from_bytes(data[54:56], 'little')
    phnum = int.from_bytes(data[56:58], 'little')
    last = None
    for i in range(phnum):
        base = phoff + i * phentsize
        if int.from_bytes(data[base:base + 4], 'little') == 1:
            last = base
    assert last is not None
    data[last + 32:last + 40] = (len(data) * 4).to_bytes(8, 'little')
    path.write_bytes(bytes(data))


HOSTILE = [
    _random_file, _empty_file, _directory, _elf_magic_only, _header_only,
    _truncated(0.1), _truncated(0.5), _last_segment_cut,
    _wrong_class, _huge_phoff, _segment_past_end,
]


@pytest.mark.parametrize('make', HOSTILE, ids=[f.__name__.strip('_') for f in HOSTILE])
def test_hostile_file(make, good, tmp_path):
    import sys
    if sys.byteorder != 'little' and make in (_huge_phoff, _segment_past_end, _last_segment_cut):
        pytest.skip('the file is patched as little-endian ELF64')
    path = tmp_path / 'goodmod.hpy0.so'
    make(path, good.so_filename)
    msg = check_load_error('goodmod', path)
    assert 'goodmod' in msg
    # the process is healthy: the real module loads and works
    mod = load('goodmod', good.so_filename)
    assert mod.f() == 1234


def test_truncated_message_is_clear(good, tmp_path):
    path = tmp_path / 'goodmod.hpy0.so'
    with open(good.so_filename, 'rb') as f:
        data = f.read()
    path.write_bytes(data[:len(data) // 2])
    msg = check_load_error('goodmod', path)
    assert 'truncated' in msg


def test_directory_message_is_clear(tmp_path):
    path = tmp_path / 'dirmod.hpy0.so'
    path.mkdir()
    msg = check_load_error('dirmod', path)
    assert 'directory' in msg


def test_plain_shared_library_is_refused(compiler):
    """A real shared library that is not HPy: no init symbols."""
    path = compiler.compile_plain('int g(void) { return 1; }\n', 'plainlib.hpy0.so')
    msg = check_load_error('plainlib', path)
    assert 'plainlib' in msg


def test_copy_of_good_module_still_loads(good, tmp_path):
    """The check accepts an intact file (not only the build's own path)."""
    path = tmp_path / 'goodmod.hpy0.so'
    shutil.copy(good.so_filename, str(path))
    assert load('goodmod', path).f() == 1234


@pytest.mark.parametrize('fraction', [0.9, 0.99])
def test_truncated_tail(fraction, good, tmp_path):
    """A cut that keeps every loadable segment whole (only section headers
    and symbol tables are lost) is either refused cleanly or loads; never a
    crash."""
    path = tmp_path / 'goodmod.hpy0.so'
    _truncated(fraction)(path, good.so_filename)
    try:
        mod = load('goodmod', path)
    except ImportError as e:
        assert 'goodmod' in str(e)
    else:
        assert mod.f() == 1234
    assert load('goodmod', good.so_filename).f() == 1234
