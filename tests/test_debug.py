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


@pytest.mark.leaks_handles('shows what LeakDetector reports, with leaks left open')
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


@pytest.mark.leaks_handles('a leak report, with the leak left open')
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


# keeps an argument handle past its call in a C global (the mistake that
# HPyGlobal avoids), and uses it in a later call
KEEP_ARG = """
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
"""

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
""" + KEEP_ARG + """
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


def test_closed_handles_are_reused_oldest_first(make_module):
    """As in HPy 0.9: while the closed handles queue is full, each handle
    opened takes the slot of the oldest closed one, and a DebugHandle listed
    for that slot then shows the new handle."""
    from hpy.universal import _debug
    mod = make_module(LEAKER)
    old = _debug.get_closed_handles_queue_max_size()
    gen = _debug.new_generation()
    try:
        for word in ('one', 'two', 'three'):
            mod.noleak(word)
        _debug.set_closed_handles_queue_max_size(1)
        closed = _debug.get_closed_handles()
        assert len(closed) >= 4 and not any(h.obj == 'leaked' for h in closed)
        # opened in order: self, the argument, its Dup (leaked), the result
        mod.leak('leaked')
        assert [h.is_closed for h in closed[:4]] == [True, True, False, True]
        assert closed[2].obj == 'leaked' and closed[2].raw_data_size == -1
        leaks = _debug.get_open_handles(gen)
        assert [h.obj for h in leaks] == ['leaked']
    finally:
        for h in _debug.get_open_handles(gen):
            h._force_close()
        _debug.set_closed_handles_queue_max_size(old)


UTF8 = """
    HPyDef_METH(utf8_len, "utf8_len", HPyFunc_O)
    static HPy utf8_len_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        HPy_ssize_t n;
        if (HPyUnicode_AsUTF8AndSize(ctx, arg, &n) == NULL)
            return HPy_NULL;
        return HPyLong_FromSsize_t(ctx, n);
    }
    @EXPORT(utf8_len)
    @INIT
"""


def drain_closed_handles(mod):
    """Empties the closed handles queue: with a size of 0, each handle
    opened reuses a closed record and each one closed is dropped at once."""
    from hpy.universal import _debug
    _debug.set_closed_handles_queue_max_size(0)
    for _ in range(10000):
        if not _debug.get_closed_handles():
            break
        mod.utf8_len('')
    assert _debug.get_closed_handles() == []


def test_raw_data_kept_within_the_limit(make_module):
    """The raw data of closed handles is kept (inaccessible) only while it
    all fits in get_protected_raw_data_max_size() bytes; past it, a closed
    handle's data is freed at once (raw_data_size -1)."""
    from hpy.universal import _debug
    mod = make_module(UTF8)
    old_raw = _debug.get_protected_raw_data_max_size()
    old_queue = _debug.get_closed_handles_queue_max_size()

    def sizes_of(gen):
        return sorted(h.raw_data_size for h in _debug.get_closed_handles(gen))

    try:
        drain_closed_handles(mod)
        _debug.set_closed_handles_queue_max_size(1000)
        _debug.set_protected_raw_data_max_size(20)
        gen = _debug.new_generation()
        assert mod.utf8_len('x' * 30) == 30          # 31 bytes: freed
        assert sizes_of(gen) == [-1, -1, -1]          # self, arg, result
        gen = _debug.new_generation()
        assert mod.utf8_len('a' * 9) == 9            # 10 bytes: kept
        assert mod.utf8_len('b' * 7) == 7            # 8 more: 18, kept
        assert mod.utf8_len('c' * 2) == 2            # 3 more: 21, freed
        assert sizes_of(gen) == [-1] * 7 + [8, 10]
        # the records leave the queue: their data is freed and uncounted
        drain_closed_handles(mod)
        _debug.set_closed_handles_queue_max_size(1000)
        gen = _debug.new_generation()
        assert mod.utf8_len('d' * 17) == 17          # 18 bytes fit again
        assert sizes_of(gen) == [-1, -1, 18]
    finally:
        _debug.set_protected_raw_data_max_size(old_raw)
        _debug.set_closed_handles_queue_max_size(old_queue)


CHECKS = """
    typedef struct { long value; } DummyObject;
    /* wrong: the type below has the Object shape, not the Long shape */
    HPyType_HELPERS(DummyObject, HPyType_BuiltinShape_Long)
    typedef struct { long value; } PlainObject;
    HPyType_HELPERS(PlainObject)

    static HPyType_Spec Dummy_spec = {
        .name = "mytest.Dummy",
        .basicsize = sizeof(DummyObject),
    };
    HPyDef_METH(make_dummy, "make_dummy", HPyFunc_NOARGS)
    static HPy make_dummy_impl(HPyContext *ctx, HPy self)
    {
        HPy t = HPyType_FromSpec(ctx, &Dummy_spec, NULL);
        if (HPy_IsNull(t))
            return HPy_NULL;
        HPy obj = HPy_CallTupleDict(ctx, t, HPy_NULL, HPy_NULL);
        HPy_Close(ctx, t);
        return obj;
    }
    HPyDef_METH(as_long_shape, "as_long_shape", HPyFunc_O)
    static HPy as_long_shape_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        DummyObject *d = DummyObject_AsStruct(ctx, arg);
        if (d == NULL)
            return HPy_NULL;
        return HPyLong_FromLong(ctx, 0);
    }
    HPyDef_METH(as_object_shape, "as_object_shape", HPyFunc_O)
    static HPy as_object_shape_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        PlainObject *p = PlainObject_AsStruct(ctx, arg);
        if (p == NULL)
            return HPy_NULL;
        return HPyLong_FromLong(ctx, p->value);
    }
    HPyDef_METH(type_name, "type_name", HPyFunc_O)
    static HPy type_name_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        const char *name = HPyType_GetName(ctx, arg);
        if (name == NULL)
            return HPy_NULL;
        return HPyUnicode_FromString(ctx, name);
    }
    HPyDef_METH(write_type_name, "write_type_name", HPyFunc_O)
    static HPy write_type_name_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        char *name = (char *)HPyType_GetName(ctx, arg);
        name[0] = 'X';                            /* the text is read-only */
        return HPy_Dup(ctx, ctx->h_None);
    }
    HPyDef_METH(is_subtype, "is_subtype", HPyFunc_VARARGS)
    static HPy is_subtype_impl(HPyContext *ctx, HPy self, const HPy *args, size_t nargs)
    {
        int r = HPyType_IsSubtype(ctx, args[0], args[1]);
        if (r < 0 && HPyErr_Occurred(ctx))
            return HPy_NULL;
        return HPyLong_FromLong(ctx, r);
    }
    HPyDef_METH(substring, "substring", HPyFunc_O)
    static HPy substring_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        return HPyUnicode_Substring(ctx, arg, 1, 3);
    }
    @EXPORT(make_dummy)
    @EXPORT(as_long_shape)
    @EXPORT(as_object_shape)
    @EXPORT(type_name)
    @EXPORT(write_type_name)
    @EXPORT(is_subtype)
    @EXPORT(substring)
    @INIT
"""


def test_argument_checks_pass_good_arguments(make_module):
    mod = make_module(CHECKS)
    assert mod.type_name(int) == 'int'
    assert mod.is_subtype(bool, int) == 1 and mod.is_subtype(int, bool) == 0
    assert mod.substring('hello') == 'el'
    assert mod.as_object_shape(mod.make_dummy()) == 0


@pytest.mark.parametrize('call, message', [
    (lambda mod: mod.type_name('hello'), 'HPyType_GetName arg must be a type'),
    (lambda mod: mod.is_subtype(bool, 'hello'), 'HPyType_IsSubtype arg 2 must be a type'),
    (lambda mod: mod.is_subtype('hello', str), 'HPyType_IsSubtype arg 1 must be a type'),
    # PyUnicode_Substring would crash: debug mode checks first
    (lambda mod: mod.substring(b'hello'), 'HPyUnicode_Substring arg 1 must be a Unicode object'),
])
def test_argument_checks_raise_type_error(make_module, call, message):
    """Bad input is a TypeError worded as HPy 0.9's debug mode words its
    checks (HPy 0.9 makes them fatal errors)."""
    mod = make_module(CHECKS)
    with pytest.raises(TypeError) as exc:
        call(mod)
    assert str(exc.value) == message


@pytest.mark.parametrize('call, message', [
    ('mod.as_long_shape(mod.make_dummy())',
     'Invalid usage of _HPy_AsStruct_Long. Expected shape HPyType_BuiltinShape_Long '
     'but got HPyType_BuiltinShape_Object'),
    ('mod.as_object_shape("text")',
     'Invalid usage of _HPy_AsStruct_Object. Expected shape HPyType_BuiltinShape_Object '
     'but got HPyType_BuiltinShape_Legacy'),
])
def test_struct_of_the_wrong_shape_is_fatal_by_default(compile_module, call, message):
    """_HPy_AsStruct_SHAPE (TYPE_AsStruct of HPyType_HELPERS) of an object
    whose type has another shape: the extension would read the wrong
    memory."""
    module = compile_module(CHECKS)
    p = run_module_code(module, call)
    assert p.returncode == -signal.SIGABRT
    assert 'Fatal Python error' in p.stderr and message in p.stderr, p.stderr


def test_struct_of_the_wrong_shape_calls_the_hook(make_module, debug_hook):
    mod = make_module(CHECKS)
    with pytest.raises(SystemError, match='Invalid usage of _HPy_AsStruct_Long'):
        mod.as_long_shape(mod.make_dummy())
    assert debug_hook == ['handle']


def test_type_name_is_read_only(compile_module):
    module = compile_module(CHECKS)
    p = run_module_code(module, 'print("before", flush=True)\nmod.write_type_name(int)\n'
                                'print("after")')
    assert p.stdout.startswith('before') and 'after' not in p.stdout
    assert p.returncode in (-signal.SIGSEGV, -signal.SIGBUS), (p.returncode, p.stderr)


@pytest.mark.parametrize('call, message', [
    ('mod.close_constant()', 'Invalid usage of already closed handle: HPy_Close was passed '
                             'the constant handle'),
    ('mod.return_constant()', 'Invalid usage of already closed handle: .* is the constant handle'),
])
def test_constant_handles_reported_as_closed(compile_module, call, message):
    """HPy 0.9 reports a constant closed, or returned without HPy_Dup (the
    caller closes what it gets), as the use of a closed handle."""
    module = compile_module(INVALID)
    p = run_module_code(module, call)
    assert p.returncode == -signal.SIGABRT
    assert re.search(message, p.stderr), p.stderr


def test_builder_after_build_is_fatal_by_default(compile_module):
    module = compile_module(BUILDERS)
    p = run_module_code(module, 'mod.tuple_cancelled()')
    assert p.returncode == -signal.SIGABRT
    assert 'Invalid usage of already closed builder: HPyTupleBuilder_Build' in p.stderr


def test_allocation_traces_have_c_and_python_frames(make_module):
    """set_handle_stack_trace_limit(n): up to n C frames (the first one the
    extension's) and n Python frames of where each handle was opened."""
    from hpy.debug import LeakDetector, HPyLeakError, set_handle_stack_trace_limit, \
        disable_handle_stack_traces
    from hpy.universal import _debug
    mod = make_module(LEAKER)
    set_handle_stack_trace_limit(4)
    try:
        with pytest.raises(HPyLeakError) as exc:
            with LeakDetector():
                mod.leak('traced')
    finally:
        disable_handle_stack_traces()
    (h,) = exc.value.leaks
    trace = h.allocation_stacktrace
    c_part, py_part = trace.split('Python traceback (innermost first):\n')
    assert c_part.startswith('C backtrace (innermost first):\n')
    c_frames = c_part.splitlines()[1:]
    assert 1 <= len(c_frames) <= 4
    # the first C frame is in the extension (the runtime's own are left out):
    # "#0 0xADDR in SYMBOL+0xOFF (FILE+0xOFFSET)"
    assert re.match(r'  #0 0x[0-9a-f]+ in \S+ \(.*/mytest\.hpy0[^/]*\.so\+0x[0-9a-f]+\)$',
                    c_frames[0]), trace
    py_frames = py_part.splitlines()
    assert 1 <= len(py_frames) <= 4
    assert 'test_allocation_traces_have_c_and_python_frames' in py_frames[0]
    assert trace.rstrip('\n') in str(exc.value).replace('\n      ', '\n')
    h._force_close()
    # off again: nothing recorded
    gen = _debug.new_generation()
    mod.leak('untraced')
    (h,) = _debug.get_open_handles(gen)
    assert h.allocation_stacktrace is None
    h._force_close()


def test_invalid_handle_report_has_the_traces(compile_module):
    module = compile_module(INVALID)
    p = run_module_code(module, """
        from hpy.universal import _debug
        _debug.set_handle_stack_trace_limit(8)
        def keeper():
            mod.keep('a')
        keeper()
        mod.use_kept()
    """)
    assert p.returncode == -signal.SIGABRT
    assert 'store the object in an HPyGlobal or an HPyField' in p.stderr
    assert 'it was opened at:\nC backtrace (innermost first):\n  #0 0x' in p.stderr, p.stderr
    assert re.search(r'Python traceback \(innermost first\):\n  File ".*", line \d+, in keeper',
                     p.stderr), p.stderr


def test_leaked_handles_fail_debug_mode_tests(tmp_path):
    """tests/conftest.py fails every test that leaves handles open in a debug
    mode, unless it is marked leaks_handles."""
    import os
    import subprocess
    import sys
    (tmp_path / 'test_leaky.py').write_text(textwrap.dedent('''
        import pytest
        from test_debug import LEAKER

        def test_leaks(make_module):
            make_module(LEAKER).leak('left open')

        @pytest.mark.leaks_handles('on purpose')
        def test_leaks_on_purpose(make_module):
            make_module(LEAKER).leak('left open')

        def test_no_leak(make_module):
            make_module(LEAKER).noleak('closed')
    '''))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(TESTS_DIR)] + [p for p in os.environ.get('PYTHONPATH', '').split(os.pathsep) if p]))
    p = subprocess.run(
        [sys.executable, '-m', 'pytest', '-p', 'conftest', '-p', 'no:cacheprovider',
         '-q', '-rf', '--hpy-abi=debug', '--hpy-abi=universal', str(tmp_path / 'test_leaky.py')],
        cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=300)
    out = p.stdout
    assert '1 failed, 5 passed' in out, out + p.stderr
    assert 'FAILED test_leaky.py::test_leaks[debug]' in out, out
    assert "the test left handles open: 1 unclosed handle:" in out, out
    assert "for 'left open'>" in out, out


def test_object_kept_by_a_closed_handle_is_released_when_it_leaves_the_queue(make_module):
    """With a hook installed, a closed handle keeps its object (so that a
    call given it can go on); once its record leaves the closed handles
    queue (pushed out by later handles), the object is released."""
    import gc
    import weakref
    from hpy.universal import _debug
    mod = make_module("""
        HPyDef_METH(f, "f", HPyFunc_O)
        static HPy f_impl(HPyContext *ctx, HPy self, HPy arg)
        {
            return HPy_Dup(ctx, ctx->h_None);
        }
        @EXPORT(f)
        @INIT
    """)

    class Payload:
        pass

    old = _debug.get_closed_handles_queue_max_size()
    _debug.set_on_invalid_handle(lambda: None)
    try:
        o = Payload()
        w = weakref.ref(o)
        mod.f(o)              # its argument handle is closed, and keeps `o`
        del o
        gc.collect()
        assert w() is not None
        # the queue shrinks by one record per handle opened or closed
        # past its maximum (each call opens and closes 3), down to 2
        _debug.set_closed_handles_queue_max_size(2)
        for i in range(10000):
            if len(_debug.get_closed_handles()) <= 2:
                break
            mod.f(i)
        for i in range(3):
            mod.f(i)
        assert len(_debug.get_closed_handles()) <= 2
        gc.collect()
        assert w() is None
    finally:
        _debug.set_on_invalid_handle(None)
        _debug.set_closed_handles_queue_max_size(old)


ARGUMENTS = """
    HPyDef_METH(one, "one", HPyFunc_O)
    static HPy one_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        return HPy_Dup(ctx, arg);
    }
    HPyDef_METH(many, "many", HPyFunc_VARARGS)
    static HPy many_impl(HPyContext *ctx, HPy self, const HPy *args, size_t n)
    {
        return n ? HPy_Dup(ctx, args[n - 1]) : HPy_Dup(ctx, ctx->h_None);
    }
    HPyDef_METH(kw, "kw", HPyFunc_KEYWORDS)
    static HPy kw_impl(HPyContext *ctx, HPy self, const HPy *args, size_t n,
                       HPy kwnames)
    {
        return HPyLong_FromSize_t(ctx, n);
    }
    HPyDef_METH(returns_arg, "returns_arg", HPyFunc_O)
    static HPy returns_arg_impl(HPyContext *ctx, HPy self, HPy arg)
    {
        return arg;                   /* wrong: return HPy_Dup(ctx, arg) */
    }
""" + KEEP_ARG + """
    @EXPORT(one)
    @EXPORT(many)
    @EXPORT(kw)
    @EXPORT(returns_arg)
    @EXPORT(keep)
    @EXPORT(use_kept)
    @INIT
"""


def test_argument_references_are_balanced_over_many_calls(make_module):
    """Argument handles borrow the caller's reference to each argument for
    the call: after many calls of each argument shape (the closed handles
    queue overflowing all along) no reference was taken or dropped."""
    import sys
    mod = make_module(ARGUMENTS)
    a, b = object(), object()
    before = sys.getrefcount(a), sys.getrefcount(b)
    for _ in range(3000):
        assert mod.one(a) is a
        assert mod.many(b, a) is a
        assert mod.many() is None
        assert mod.kw(a, b, x=a) == 2
    assert (sys.getrefcount(a), sys.getrefcount(b)) == before


def test_argument_returned_without_dup_is_a_new_reference(make_module, debug_hook):
    """Returning an argument handle closes it (reported when the call then
    closes its arguments); with the hook letting it go on, the caller still
    gets a reference of its own."""
    import sys
    mod = make_module(ARGUMENTS)
    obj = object()
    before = sys.getrefcount(obj)
    for _ in range(5):
        assert mod.returns_arg(obj) is obj
    assert debug_hook == ['handle'] * 5
    from hpy.universal import _debug
    _debug.set_on_invalid_handle(None)     # closed handles release what they keep
    assert sys.getrefcount(obj) == before


def test_handle_kept_past_its_call_is_caught_long_after(make_module, debug_hook):
    """A handle kept in a C global is still caught after its record has
    left the closed handles queue and its slot has been reused many times
    over."""
    from hpy.universal import _debug
    mod = make_module(ARGUMENTS)
    old = _debug.get_closed_handles_queue_max_size()
    try:
        _debug.set_closed_handles_queue_max_size(4)
        mod.keep('kept')
        for i in range(200):
            mod.one(i)
            mod.many(i, i)
        assert debug_hook == []
        with pytest.raises(SystemError):   # nothing to go on with: reported
            mod.use_kept()
        assert debug_hook == ['handle']
    finally:
        _debug.set_closed_handles_queue_max_size(old)
