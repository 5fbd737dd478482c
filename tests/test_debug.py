"""Debug mode: leak detection, invalid handles, builders, trackers, raw data,
handles kept past their call, handles of another context. Each mistake is
made by a small extension; the fatal ones run in a subprocess."""
import re
import signal
import textwrap
from pathlib import Path

import pytest

import support

HPY_ABIS = ['debug', 'hybrid+debug']

TESTS_DIR = Path(__file__).resolve().parent


@pytest.fixture
def debug_hook():
    """Installs a hook for invalid handles (and builders) that counts calls."""
    from hpy.universal import _debug
    calls = []
    _debug.set_on_invalid_handle(lambda: calls.append('handle'))
    _debug.set_on_invalid_builder_handle(lambda: calls.append('builder'))
    yield calls
    _debug.set_on_invalid_handle(None)
    _debug.set_on_invalid_builder_handle(None)


def run_module_code(module, code):
    """Loads `module` in a fresh interpreter (as `mod`) and runs `code`."""
    prog = "import support\nmod = support.load_extension(%r, %r, %r)\n" % (
        module.name, str(module.so_filename), module.hpy_abi)
    return support.run_python(prog + textwrap.dedent(code), cwd=str(TESTS_DIR))


def test_context_name_and_debug_module(make_module):
    mod = make_module("""
        HPyDef_METH(name, "name", HPyFunc_NOARGS)
        static HPy name_impl(HPyContext *ctx, HPy self)
        {
            return HPyUnicode_FromString(ctx, ctx->name);
        }
        @EXPORT(name)
        @INIT
    """)
    assert mod.name().startswith('HPy Debug Mode ABI')
    import hpy.universal
    import hpy.universal._debug as d
    from hpy.debug.leakdetector import LeakDetector  # noqa: F401 (HPy 0.9's path)
    assert d is hpy.universal._debug


LEAKER = """
    HPyDef_METH(leak, "leak", HPyFunc_O)
    static HPy leak_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        HPy_Dup(ctx, arg);          /* never closed */
        return HPy_Dup(ctx, ctx->h_None);
    }
    HPyDef_METH(noleak, "noleak", HPyFunc_O)
    static HPy noleak_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        HPy h = HPy_Dup(ctx, arg);
        HPy_Close(ctx, h);
        return HPy_Dup(ctx, ctx->h_None);
    }
    @EXPORT(leak)
    @EXPORT(noleak)
    @INIT
"""


def test_leak_detector(make_module):
    from hpy.debug import LeakDetector, HPyLeakError
    from hpy.universal import _debug
    mod = make_module(LEAKER)
    with LeakDetector():
        mod.noleak('a')
    gen = _debug.new_generation()
    with pytest.raises(HPyLeakError) as exc:
        with LeakDetector():
            mod.leak('hello')
            mod.leak('world')
    msg = str(exc.value)
    assert msg.startswith('2 unclosed handles:')
    assert "for 'hello'>" in msg and "for 'world'>" in msg
    leaked = _debug.get_open_handles(gen)
    assert sorted(h.obj for h in leaked) == ['hello', 'world']
    # -1: no raw data (HPy 0.9's value)
    assert all(not h.is_closed and h.raw_data_size == -1 for h in leaked)
    assert repr(leaked[0]).startswith('<DebugHandle 0x')
    # listed again: other objects, equal handles; no ordering
    again = _debug.get_open_handles(gen)
    assert again[0] is not leaked[0] and again == leaked and leaked[0] != leaked[1]
    assert len({leaked[0], again[0], leaked[1]}) == 2
    with pytest.raises(TypeError):
        leaked[0] < leaked[1]
    for h in leaked:
        h._force_close()                    # HPy 0.9's test helper
        assert h.is_closed and repr(h) == '<DebugHandle 0x%x CLOSED>' % h.id
        assert h in _debug.get_closed_handles(gen)
    assert _debug.get_open_handles(gen) == []
    ld = LeakDetector()
    ld.start()
    mod.leak(42)
    with pytest.raises(HPyLeakError, match='1 unclosed handle'):
        ld.stop()


def test_closed_handles_and_generations(make_module):
    from hpy.universal import _debug
    mod = make_module(LEAKER)
    gen = _debug.new_generation()
    mod.noleak('x')
    closed = _debug.get_closed_handles(gen)
    # the Dup'ed handle, and the argument handle closed at the end of the call
    assert len(closed) >= 2 and all(h.is_closed for h in closed)
    assert _debug.get_open_handles(gen) == []
    old = _debug.get_closed_handles_queue_max_size()
    try:
        # as in HPy 0.9 the queue is trimmed lazily: each handle opened
        # takes the slot of the oldest closed one while the queue is full
        n = len(_debug.get_closed_handles())
        _debug.set_closed_handles_queue_max_size(1)
        assert _debug.get_closed_handles_queue_max_size() == 1
        assert len(_debug.get_closed_handles()) == n
        mod.noleak('y')
        assert len(_debug.get_closed_handles()) < n or n <= 1
        for _ in range(n):
            mod.noleak('y')
        assert len(_debug.get_closed_handles()) == 1
    finally:
        _debug.set_closed_handles_queue_max_size(old)


def test_stack_traces_in_leak_report(make_module):
    from hpy.debug import LeakDetector, HPyLeakError, set_handle_stack_trace_limit, \
        disable_handle_stack_traces
    mod = make_module(LEAKER)
    set_handle_stack_trace_limit(5)
    try:
        with pytest.raises(HPyLeakError) as exc:
            with LeakDetector():
                mod.leak('traced')          # this line is in the report
    finally:
        disable_handle_stack_traces()
    msg = str(exc.value)
    assert 'opened at:' in msg and 'test_debug.py' in msg
    assert 'test_stack_traces_in_leak_report' in msg


def test_hpy_debug_fixture(make_module, hpy_debug):
    # the fixture (hpy.debug.pytest) runs the test under a LeakDetector
    from hpy.debug import LeakDetector
    assert isinstance(hpy_debug, LeakDetector)
    mod = make_module(LEAKER)
    mod.noleak('ok')


INVALID = """
    HPyDef_METH(close_twice, "close_twice", HPyFunc_O)
    static HPy close_twice_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        HPy h = HPy_Dup(ctx, arg);
        HPy_Close(ctx, h);
        HPy_Close(ctx, h);
        return HPy_Dup(ctx, ctx->h_None);
    }
    HPyDef_METH(use_closed, "use_closed", HPyFunc_O)
    static HPy use_closed_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        HPy h = HPy_Dup(ctx, arg);
        HPy_Close(ctx, h);
        return HPy_Repr(ctx, h);
    }
    HPyDef_METH(return_closed, "return_closed", HPyFunc_O)
    static HPy return_closed_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        HPy h = HPy_Dup(ctx, arg);
        HPy_Close(ctx, h);
        return h;
    }
    HPyDef_METH(return_constant, "return_constant", HPyFunc_NOARGS)
    static HPy return_constant_impl(HPyContext *ctx, HPy self)
    {
        return ctx->h_None;           /* wrong: HPy_Dup(ctx, ctx->h_None) */
    }
    HPyDef_METH(close_constant, "close_constant", HPyFunc_NOARGS)
    static HPy close_constant_impl(HPyContext *ctx, HPy self)
    {
        HPy_Close(ctx, ctx->h_None);
        return HPy_Dup(ctx, ctx->h_None);
    }
    static HPy kept;
    HPyDef_METH(keep, "keep", HPyFunc_O)
    static HPy keep_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        kept = arg;                   /* wrong: use an HPyGlobal */
        return HPy_Dup(ctx, ctx->h_None);
    }
    HPyDef_METH(use_kept, "use_kept", HPyFunc_NOARGS)
    static HPy use_kept_impl(HPyContext *ctx, HPy self)
    {
        return HPy_Repr(ctx, kept);
    }
    HPyDef_METH(use_raw_value, "use_raw_value", HPyFunc_O)
    static HPy use_raw_value_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        /* arg: the value of a handle of another context, as an int */
        HPy h = { (intptr_t)HPyLong_AsSsize_t(ctx, arg) };
        return HPy_Repr(ctx, h);
    }
    HPyDef_METH(typecheck, "typecheck", HPyFunc_O)
    static HPy typecheck_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        /* arg 2 must be a type (@requires in api/hpy.api) */
        return HPyBool_FromBool(ctx, HPy_TypeCheck(ctx, arg, arg));
    }
    @EXPORT(typecheck)
    @EXPORT(close_twice)
    @EXPORT(use_closed)
    @EXPORT(return_closed)
    @EXPORT(close_constant)
    @EXPORT(return_constant)
    @EXPORT(keep)
    @EXPORT(use_kept)
    @EXPORT(use_raw_value)
    @INIT
"""


def test_invalid_handles_call_the_hook(make_module, debug_hook):
    # As in HPy 0.9: after the hook the call goes on. While a hook is
    # installed, closed handles keep their object, so a call given a closed
    # handle goes on with that object.
    mod = make_module(INVALID)
    mod.close_twice('a')
    assert debug_hook == ['handle']
    assert mod.use_closed('b') == "'b'"
    assert debug_hook == ['handle'] * 2
    assert mod.return_closed('c') == 'c'
    assert debug_hook == ['handle'] * 3
    assert mod.close_constant() is None           # HPy_Close returns nothing
    assert debug_hook == ['handle'] * 4
    assert mod.return_constant() is None
    assert debug_hook == ['handle'] * 5
    del debug_hook[-1]
    mod.keep('d')
    assert debug_hook == ['handle'] * 4
    assert mod.use_kept() == "'d'"
    assert debug_hook == ['handle'] * 5


def test_closed_handles_release_their_object_without_a_hook(make_module):
    import sys
    mod = make_module(INVALID)
    obj = object()
    before = sys.getrefcount(obj)
    from hpy.universal import _debug
    _debug.set_on_invalid_handle(lambda: None)
    mod.keep(obj)
    assert sys.getrefcount(obj) == before + 1      # kept by the closed handle
    _debug.set_on_invalid_handle(None)
    assert sys.getrefcount(obj) == before


def test_handle_of_another_context(make_module, compiler, debug_hook):
    mod = make_module(INVALID)
    umod = compiler.load_module(compiler.compile_module("""
        HPyDef_METH(raw, "raw", HPyFunc_O)
        static HPy raw_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            return HPyLong_FromSsize_t(ctx, (HPy_ssize_t)arg._i);
        }
        @EXPORT(raw)
        @INIT
    """, 'universal', 'rawmod'))
    with pytest.raises(SystemError, match='not a handle of the debug mode context'):
        mod.use_raw_value(umod.raw('x'))
    assert debug_hook == ['handle']


@pytest.mark.parametrize('call, message', [
    ('mod.close_twice("a")', 'HPy_Close was passed the handle 0x[0-9a-f]+, which is already closed'),
    ('mod.use_closed("a")', 'HPy_Repr was passed'),
    ('mod.keep("a"); mod.use_kept()', 'store the object in an HPyGlobal or an HPyField'),
    ('mod.typecheck(int); mod.typecheck(5)', 'HPy_TypeCheck arg 2 must be a type'),
    ('mod.return_constant()', 'constant handle 0x[0-9a-f]+ of the context .*returned without HPy_Dup'),
])
def test_invalid_handle_is_fatal_by_default(compile_module, call, message):
    import re
    module = compile_module(INVALID)
    p = run_module_code(module, call)
    assert p.returncode != 0
    assert 'Fatal Python error' in p.stderr
    assert re.search(message, p.stderr), p.stderr


BUILDERS = """
    HPyDef_METH(list_twice, "list_twice", HPyFunc_NOARGS)
    static HPy list_twice_impl(HPyContext *ctx, HPy self)
    {
        HPyListBuilder b = HPyListBuilder_New(ctx, 1);
        HPyListBuilder_Set(ctx, b, 0, ctx->h_None);
        HPy l = HPyListBuilder_Build(ctx, b);
        HPyListBuilder_Set(ctx, b, 0, ctx->h_None);   /* after Build */
        return l;
    }
    HPyDef_METH(tuple_cancelled, "tuple_cancelled", HPyFunc_NOARGS)
    static HPy tuple_cancelled_impl(HPyContext *ctx, HPy self)
    {
        HPyTupleBuilder b = HPyTupleBuilder_New(ctx, 1);
        HPyTupleBuilder_Cancel(ctx, b);
        return HPyTupleBuilder_Build(ctx, b);          /* after Cancel */
    }
    HPyDef_METH(tracker_twice, "tracker_twice", HPyFunc_O)
    static HPy tracker_twice_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        HPyTracker ht = HPyTracker_New(ctx, 1);
        HPyTracker_Add(ctx, ht, HPy_Dup(ctx, arg));
        HPyTracker_Close(ctx, ht);
        HPyTracker_Close(ctx, ht);
        return HPy_Dup(ctx, ctx->h_None);
    }
    HPyDef_METH(tracker_ok, "tracker_ok", HPyFunc_O)
    static HPy tracker_ok_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        HPyTracker ht = HPyTracker_New(ctx, 1);
        HPy a = HPy_Dup(ctx, arg), b = HPy_Dup(ctx, arg);
        HPyTracker_Add(ctx, ht, a);
        HPyTracker_Add(ctx, ht, b);
        HPyTracker_ForgetAll(ctx, ht);
        HPyTracker_Add(ctx, ht, a);
        HPyTracker_Close(ctx, ht);
        return b;
    }
    @EXPORT(list_twice)
    @EXPORT(tuple_cancelled)
    @EXPORT(tracker_twice)
    @EXPORT(tracker_ok)
    @INIT
"""


def test_builders_and_trackers(make_module, debug_hook):
    from hpy.debug import LeakDetector
    mod = make_module(BUILDERS)
    assert mod.list_twice() == [None]          # HPyListBuilder_Set returns nothing
    assert debug_hook == ['builder']
    # as in HPy 0.9: after the hook, Build gets a null builder: MemoryError
    with pytest.raises(MemoryError):
        mod.tuple_cancelled()
    assert debug_hook == ['builder', 'builder']
    mod.tracker_twice('x')
    assert debug_hook == ['builder', 'builder', 'handle']
    with LeakDetector():
        assert mod.tracker_ok('y') == 'y'


RAW = """
    static const char *saved;
    HPyDef_METH(utf8, "utf8", HPyFunc_O)
    static HPy utf8_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        HPy_ssize_t n;
        const char *s = HPyUnicode_AsUTF8AndSize(ctx, arg, &n);
        return HPyBytes_FromStringAndSize(ctx, s, n);
    }
    HPyDef_METH(keep_utf8, "keep_utf8", HPyFunc_O)
    static HPy keep_utf8_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        HPy h = HPy_Dup(ctx, arg);
        saved = HPyUnicode_AsUTF8AndSize(ctx, h, NULL);
        HPy_Close(ctx, h);
        return HPy_Dup(ctx, ctx->h_None);
    }
    HPyDef_METH(keep_bytes, "keep_bytes", HPyFunc_O)
    static HPy keep_bytes_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        saved = HPyBytes_AsString(ctx, arg);     /* arg closes after the call */
        return HPy_Dup(ctx, ctx->h_None);
    }
    HPyDef_METH(read_saved, "read_saved", HPyFunc_NOARGS)
    static HPy read_saved_impl(HPyContext *ctx, HPy self)
    {
        return HPyLong_FromLong(ctx, saved[0]);
    }
    HPyDef_METH(write_bytes, "write_bytes", HPyFunc_O)
    static HPy write_bytes_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        char *s = (char *)HPyBytes_AS_STRING(ctx, arg);
        s[0] = 'X';                               /* raw data is read-only */
        return HPy_Dup(ctx, ctx->h_None);
    }
    HPyDef_METH(raw_size, "raw_size", HPyFunc_O)
    static HPy raw_size_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        HPy h = HPy_Dup(ctx, arg);
        HPyBytes_AsString(ctx, h);
        return h;                                  /* still open, with raw data */
    }
    @EXPORT(utf8)
    @EXPORT(keep_utf8)
    @EXPORT(keep_bytes)
    @EXPORT(read_saved)
    @EXPORT(write_bytes)
    @EXPORT(raw_size)
    @INIT
"""


def test_raw_data_is_a_copy(make_module):
    from hpy.universal import _debug
    mod = make_module(RAW)
    assert mod.utf8('héllo') == 'héllo'.encode()
    gen = _debug.new_generation()
    assert mod.raw_size(b'abc') == b'abc'
    sizes = [h.raw_data_size for h in _debug.get_closed_handles(gen)]
    assert 4 in sizes                       # b'abc' and its NUL
    old = _debug.get_protected_raw_data_max_size()
    _debug.set_protected_raw_data_max_size(1000)
    assert _debug.get_protected_raw_data_max_size() == 1000
    _debug.set_protected_raw_data_max_size(old)


@pytest.mark.parametrize('call', [
    'mod.keep_utf8("text"); mod.read_saved()',
    'mod.keep_bytes(b"bytes"); mod.read_saved()',
    'mod.write_bytes(b"abc")',
])
def test_raw_data_faults(compile_module, call):
    module = compile_module(RAW)
    p = run_module_code(module, 'print("before", flush=True)\n' + call + '\nprint("after")')
    assert p.stdout.startswith('before') and 'after' not in p.stdout
    assert p.returncode in (-signal.SIGSEGV, -signal.SIGBUS), (p.returncode, p.stderr)
