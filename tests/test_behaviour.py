"""Behaviour of HPy 0.9 that existing extensions and their test suites
depend on (../shared/hpy-abi/behaviour.md): the ctx->name strings, the
texts of the universal ABI's compile errors, HPyBytes_FromStringAndSize with
a NULL pointer, and ctx->h_Builtins."""
import builtins
import subprocess
import sys
import sysconfig

import pytest

import support

PYTHON_H_TEXT = ('It is forbidden to #include <Python.h> when targeting the '
                 'HPy Universal ABI')
LEGACY_TEXT = 'Cannot use legacy functions when targeting the HPy Universal ABI'


def test_ctx_name(make_module, hpy_abi):
    mod = make_module("""
        HPyDef_METH(name, "name", HPyFunc_NOARGS)
        static HPy name_impl(HPyContext *ctx, HPy self)
        {
            return HPyUnicode_FromString(ctx, ctx->name);
        }
        @EXPORT(name)
        @INIT
    """)
    name = mod.name()
    if hpy_abi == 'cpython':
        assert name == 'HPy CPython ABI'
    elif hpy_abi in ('universal', 'hybrid'):
        assert name.startswith('HPy Universal ABI')
    elif 'debug' in hpy_abi:
        assert name.startswith('HPy Debug Mode ABI')
    elif 'trace' in hpy_abi:
        assert name.startswith('HPy Trace Mode ABI')


# -- compile errors of the universal ABI --------------------------------------

def compile_error(compiler, src, abi='universal'):
    with pytest.raises(support.CompileError) as info:
        compiler.compile_module(src, abi, name='forbidden')
    return str(info.value)


def test_python_h_after_hpy_h(compiler):
    # the include path of a universal build finds our Python.h first
    out = compile_error(compiler, """
        #include <Python.h>
        @INIT
    """)
    assert PYTHON_H_TEXT in out


def test_python_h_before_hpy_h(compiler, tmp_path):
    # without hpy.devel's include order (another build system): hpy.h sees
    # the real Python.h and stops
    import hpy.devel
    src = tmp_path / 'm.c'
    src.write_text('#include <Python.h>\n#include "hpy.h"\n')
    cmd = [support.CC, '-fsyntax-only', '-DHPY_ABI_UNIVERSAL',
           '-I' + sysconfig.get_paths()['include'],
           '-I' + str(hpy.devel.HPyDevel().include_dir), str(src)]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True)
    assert proc.returncode != 0
    assert PYTHON_H_TEXT in proc.stdout


@pytest.mark.parametrize('call', [
    'HPy_AsPyObject(ctx, self)',
    'HPy_FromPyObject(ctx, (cpy_PyObject *)NULL)',
])
def test_legacy_function_is_a_compile_error(compiler, call):
    src = """
        HPyDef_METH(f, "f", HPyFunc_NOARGS)
        static HPy f_impl(HPyContext *ctx, HPy self)
        {
            (void)%s;
            return HPy_Dup(ctx, self);
        }
        @EXPORT(f)
        @INIT
    """ % call
    out = compile_error(compiler, src)
    assert LEGACY_TEXT in out
    assert 'declared with attribute error' in out     # not an implicit declaration
    # the same source is fine in the ABIs that have the legacy features
    for abi in ('hybrid', 'cpython'):
        compiler.compile_module(src, abi, name='allowed')


# -- HPyBytes_FromStringAndSize -----------------------------------------------

def test_bytes_from_null(make_module):
    mod = make_module("""
        /* f(with_data, n): HPyBytes_FromStringAndSize(data or NULL, n) */
        HPyDef_METH(f, "f", HPyFunc_VARARGS)
        static HPy f_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
        {
            const char *data = HPy_IsTrue(ctx, args[0]) ? "abcdefghij" : NULL;
            HPy_ssize_t n = HPyLong_AsSsize_t(ctx, args[1]);
            if (n == -1 && HPyErr_Occurred(ctx))
                return HPy_NULL;
            return HPyBytes_FromStringAndSize(ctx, data, n);
        }
        @EXPORT(f)
        @INIT
    """)
    assert mod.f(True, 3) == b'abc'
    assert mod.f(True, 0) == b''
    for n in (0, 1, 10, 1000):
        with pytest.raises(ValueError) as info:
            mod.f(False, n)
        assert str(info.value) == \
            'NULL char * passed to HPyBytes_FromStringAndSize'
    with pytest.raises(SystemError):
        mod.f(True, -1)


# -- ctx->h_Builtins ----------------------------------------------------------

def test_builtins_is_the_builtins_dict(make_module):
    mod = make_module("""
        HPyDef_METH(f, "f", HPyFunc_NOARGS)
        static HPy f_impl(HPyContext *ctx, HPy self)
        {
            return HPy_Dup(ctx, ctx->h_Builtins);
        }
        @EXPORT(f)
        @INIT
    """)
    b = mod.f()
    assert type(b) is dict
    assert b is vars(builtins)
    assert b['len'] is len
