"""Error functions beyond test_err.py: new exception classes, errno-based
errors, warnings, unraisable exceptions and HPy_FatalError."""
import errno
import os
import warnings

import pytest

import support

SRC = r"""
    #include <errno.h>

    /* new_exception(name, doc or None, base or None, dict or None) */
    HPyDef_METH(new_exception, "new_exception", HPyFunc_VARARGS)
    static HPy new_exception_impl(HPyContext *ctx, HPy self,
                                  const HPy *args, size_t nargs)
    {
        const char *name = HPyUnicode_AsUTF8AndSize(ctx, args[0], NULL);
        HPy base = HPy_Is(ctx, args[2], ctx->h_None) ? HPy_NULL : args[2];
        HPy dict = HPy_Is(ctx, args[3], ctx->h_None) ? HPy_NULL : args[3];
        if (name == NULL)
            return HPy_NULL;
        if (HPy_Is(ctx, args[1], ctx->h_None))
            return HPyErr_NewException(ctx, name, base, dict);
        const char *doc = HPyUnicode_AsUTF8AndSize(ctx, args[1], NULL);
        if (doc == NULL)
            return HPy_NULL;
        return HPyErr_NewExceptionWithDoc(ctx, name, doc, base, dict);
    }

    /* from_errno(which, err, type, f1, f2): errno = err, then
       0 SetFromErrno, 1 SetFromErrnoWithFilename(str of f1),
       2 SetFromErrnoWithFilenameObject(f1),
       3 SetFromErrnoWithFilenameObjects(f1, f2) */
    HPyDef_METH(from_errno, "from_errno", HPyFunc_VARARGS)
    static HPy from_errno_impl(HPyContext *ctx, HPy self,
                               const HPy *args, size_t nargs)
    {
        long which = HPyLong_AsLong(ctx, args[0]);
        long err = HPyLong_AsLong(ctx, args[1]);
        HPy type = args[2];
        HPy f1 = HPy_Is(ctx, args[3], ctx->h_None) ? HPy_NULL : args[3];
        HPy f2 = HPy_Is(ctx, args[4], ctx->h_None) ? HPy_NULL : args[4];
        const char *fname = NULL;
        HPy res = HPy_NULL;
        if (which == 1 && !HPy_IsNull(f1)) {
            fname = HPyUnicode_AsUTF8AndSize(ctx, f1, NULL);
            if (fname == NULL)
                return HPy_NULL;
        }
        errno = (int)err;
        switch (which) {
        case 0: res = HPyErr_SetFromErrno(ctx, type); break;
        case 1: res = HPyErr_SetFromErrnoWithFilename(ctx, type, fname); break;
        case 2: res = HPyErr_SetFromErrnoWithFilenameObject(ctx, type, f1);
                break;
        case 3: HPyErr_SetFromErrnoWithFilenameObjects(ctx, type, f1, f2);
                break;
        }
        if (!HPy_IsNull(res)) {
            HPyErr_SetString(ctx, ctx->h_AssertionError, "not HPy_NULL");
            return HPy_NULL;
        }
        if (!HPyErr_Occurred(ctx))
            HPyErr_SetString(ctx, ctx->h_AssertionError, "no error set");
        return HPy_NULL;
    }

    /* warn(category or None, message, stacklevel) -> the result of WarnEx */
    HPyDef_METH(warn, "warn", HPyFunc_VARARGS)
    static HPy warn_impl(HPyContext *ctx, HPy self,
                         const HPy *args, size_t nargs)
    {
        HPy cat = HPy_Is(ctx, args[0], ctx->h_None) ? HPy_NULL : args[0];
        const char *msg = HPyUnicode_AsUTF8AndSize(ctx, args[1], NULL);
        HPy_ssize_t level = HPyLong_AsSsize_t(ctx, args[2]);
        if (HPyErr_Occurred(ctx))
            return HPy_NULL;
        if (HPyErr_WarnEx(ctx, cat, msg, level) < 0)
            return HPy_NULL;
        return HPy_Dup(ctx, ctx->h_None);
    }

    /* unraisable(obj): a ValueError reported with WriteUnraisable(obj); the
       error is cleared -> (Occurred after it) */
    HPyDef_METH(unraisable, "unraisable", HPyFunc_O)
    static HPy unraisable_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        HPyErr_SetString(ctx, ctx->h_ValueError, "lost error");
        HPyErr_WriteUnraisable(ctx, HPy_Is(ctx, arg, ctx->h_None) ? HPy_NULL
                                                                  : arg);
        return HPyLong_FromLong(ctx, HPyErr_Occurred(ctx));
    }

    HPyDef_METH(fatal, "fatal", HPyFunc_NOARGS)
    static HPy fatal_impl(HPyContext *ctx, HPy self)
    {
        HPy_FatalError(ctx, "hpy test: a fatal error");
        return HPy_NULL;    /* not reached */
    }

    @EXPORT(new_exception)
    @EXPORT(from_errno)
    @EXPORT(warn)
    @EXPORT(unraisable)
    @EXPORT(fatal)
    @INIT
"""


@pytest.fixture
def m(make_module):
    return make_module(SRC, name='exceptions')


def test_new_exception(m):
    E = m.new_exception('mymod.MyError', None, None, None)
    assert issubclass(E, Exception) and E.__bases__ == (Exception,)
    assert E.__name__ == 'MyError' and E.__module__ == 'mymod'
    assert E.__doc__ is None
    with pytest.raises(E):
        raise E('x')


def test_new_exception_base_and_dict(m):
    E = m.new_exception('pkg.mod.KeyishError', None, KeyError, {'extra': 42})
    assert E.__bases__ == (KeyError,)
    assert E.__module__ == 'pkg.mod' and E.extra == 42
    E2 = m.new_exception('a.MultiError', None, (ValueError, TypeError), None)
    assert E2.__bases__ == (ValueError, TypeError)


def test_new_exception_with_doc(m):
    E = m.new_exception('mymod.Documented', 'the docs \xe9', None, None)
    assert E.__doc__ == 'the docs \xe9'
    assert E.__bases__ == (Exception,)
    E2 = m.new_exception('mymod.D2', 'd', OSError, {'a': 1})
    assert E2.__bases__ == (OSError,) and E2.a == 1 and E2.__doc__ == 'd'


def test_new_exception_errors(m):
    with pytest.raises(SystemError, match='module.class'):
        m.new_exception('NoDot', None, None, None)
    with pytest.raises(SystemError, match='module.class'):
        m.new_exception('NoDot', 'doc', None, None)
    with pytest.raises(TypeError):
        m.new_exception('m.Bad', None, 42, None)


@pytest.mark.parametrize('which', [0, 1, 2, 3])
def test_set_from_errno(m, which):
    f1 = 'some/file' if which else None
    f2 = 'other/file' if which == 3 else None
    with pytest.raises(FileNotFoundError) as e:
        m.from_errno(which, errno.ENOENT, OSError, f1, f2)
    assert e.value.errno == errno.ENOENT
    assert e.value.strerror == os.strerror(errno.ENOENT)
    assert e.value.filename == f1
    assert e.value.filename2 == f2
    # the type given is raised when errno has no subclass of its own
    with pytest.raises(OSError) as e:
        m.from_errno(which, errno.EIO, OSError, f1, f2)
    assert type(e.value) is OSError and e.value.errno == errno.EIO
    with pytest.raises(PermissionError):
        m.from_errno(which, errno.EACCES, OSError, f1, f2)


def test_set_from_errno_bytes_filename_object(m):
    with pytest.raises(FileNotFoundError) as e:
        m.from_errno(2, errno.ENOENT, OSError, b'bytes/name', None)
    assert e.value.filename == b'bytes/name'


def test_warn(m):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        assert m.warn(UserWarning, 'careful \xe9', 1) is None
        assert m.warn(DeprecationWarning, 'old', 1) is None
        assert m.warn(None, 'no category', 1) is None
    assert [(x.category, str(x.message)) for x in w] == [
        (UserWarning, 'careful \xe9'), (DeprecationWarning, 'old'),
        (RuntimeWarning, 'no category')]


def test_warn_as_error(m):
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        with pytest.raises(UserWarning, match='now an error'):
            m.warn(UserWarning, 'now an error', 1)


def test_write_unraisable(m, monkeypatch):
    seen = []
    monkeypatch.setattr('sys.unraisablehook', seen.append)
    marker = object()
    assert m.unraisable(marker) == 0
    assert len(seen) == 1
    assert seen[0].exc_type is ValueError
    assert str(seen[0].exc_value) == 'lost error'
    assert seen[0].object is marker
    assert m.unraisable(None) == 0
    assert len(seen) == 2 and seen[1].object is None


def test_fatal_error(compiler, hpy_abi):
    module = compiler.compile_module(SRC, hpy_abi, 'exceptions')
    p = support.run_python("""
        import sys
        sys.path.insert(0, %r)
        import support
        m = support.load_extension(%r, %r, %r)
        print('loaded', flush=True)
        m.fatal()
        print('still alive')
    """ % (os.path.dirname(os.path.abspath(__file__)), module.name,
           module.so_filename, hpy_abi))
    assert p.stdout.strip() == 'loaded'
    assert p.returncode != 0
    assert 'Fatal Python error' in p.stderr
    assert 'hpy test: a fatal error' in p.stderr
