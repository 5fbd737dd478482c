#ifndef HPY_MACROS_H
#define HPY_MACROS_H

/* HPy_New(ctx, type, &data): create an instance of an HPy type and point
   `data` at its C struct. The macro does the (T **) -> (void **) cast. */
#define HPy_New(ctx, cls, data) (_HPy_New((ctx), (cls), ((void **)(data))))


/* Return True or False from a richcompare implementation, comparing two C
   values of any comparable type. */
#define HPy_RETURN_RICHCOMPARE(ctx, val1, val2, op)                         \
    do {                                                                    \
        bool _hpy_cmp = false;                                              \
        switch (op) {                                                       \
        case HPy_EQ: _hpy_cmp = ((val1) == (val2)); break;                  \
        case HPy_NE: _hpy_cmp = ((val1) != (val2)); break;                  \
        case HPy_LT: _hpy_cmp = ((val1) <  (val2)); break;                  \
        case HPy_GT: _hpy_cmp = ((val1) >  (val2)); break;                  \
        case HPy_LE: _hpy_cmp = ((val1) <= (val2)); break;                  \
        case HPy_GE: _hpy_cmp = ((val1) >= (val2)); break;                  \
        default:                                                            \
            HPy_FatalError(ctx, "Invalid value for HPy_RichCmpOp");         \
        }                                                                   \
        return HPy_Dup(ctx, _hpy_cmp ? (ctx)->h_True : (ctx)->h_False);     \
    } while (0)

/* pid_t conversions, chosen by the size of pid_t that pyconfig.h reports
   (int when unknown, e.g. in universal mode). */
#if !defined(SIZEOF_PID_T) || SIZEOF_PID_T == SIZEOF_INT
#  define _HPy_PARSE_PID "i"
#  define HPyLong_FromPid HPyLong_FromLong
#  define HPyLong_AsPid HPyLong_AsLong
#elif SIZEOF_PID_T == SIZEOF_LONG
#  define _HPy_PARSE_PID "l"
#  define HPyLong_FromPid HPyLong_FromLong
#  define HPyLong_AsPid HPyLong_AsLong
#elif defined(SIZEOF_LONG_LONG) && SIZEOF_PID_T == SIZEOF_LONG_LONG
#  define _HPy_PARSE_PID "L"
#  define HPyLong_FromPid HPyLong_FromLongLong
#  define HPyLong_AsPid HPyLong_AsLongLong
#else
#  error "hpy.h: sizeof(pid_t) is neither sizeof(int), sizeof(long) nor sizeof(long long)"
#endif

/* Release the GIL around a block of C code:
       HPy_BEGIN_LEAVE_PYTHON(ctx)
       ... no HPy calls here ...
       HPy_END_LEAVE_PYTHON(ctx)                                             */
#define HPy_BEGIN_LEAVE_PYTHON(context)                                     \
    {                                                                       \
        HPyThreadState _token = HPy_LeavePythonExecution(context);

#define HPy_END_LEAVE_PYTHON(context)                                       \
        HPy_ReenterPythonExecution(context, _token);                        \
    }

#endif /* HPY_MACROS_H */
