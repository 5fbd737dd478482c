"""One universal file loaded in several modes in one process: each load
gets a module whose trampolines use its own mode's context (the loader
opens a private copy of a file already loaded in another mode), and the
first module keeps working in its mode."""
import support

HPY_ABIS = ['universal']

SRC = """
    static int counter = 0;

    HPyDef_METH(ctx_name, "ctx_name", HPyFunc_NOARGS)
    static HPy ctx_name_impl(HPyContext *ctx, HPy self)
    {
        return HPyUnicode_FromString(ctx, ctx->name);
    }

    /* A C global of the extension: each loaded copy has its own. */
    HPyDef_METH(bump, "bump", HPyFunc_NOARGS)
    static HPy bump_impl(HPyContext *ctx, HPy self)
    {
        return HPyLong_FromLong(ctx, ++counter);
    }

    @EXPORT(ctx_name)
    @EXPORT(bump)
    @INIT
"""


def load(module, mode):
    return support.load_extension(module.name, module.so_filename, mode)


def test_universal_and_debug_loads_of_one_file(compile_module):
    module = compile_module(SRC, name='side_by_side')
    universal = load(module, 'universal')
    debug = load(module, 'debug')
    universal_again = load(module, 'universal')
    assert universal.ctx_name().startswith('HPy Universal ABI')
    assert debug.ctx_name().startswith('HPy Debug Mode ABI')
    assert universal.ctx_name().startswith('HPy Universal ABI')
    # the second universal load shares the first one's library (and C
    # globals); the debug load has a copy of its own
    assert [universal.bump(), universal_again.bump(), debug.bump()] == [1, 2, 1]
