#ifndef HPY_RUNTIME_FORMAT_H
#define HPY_RUNTIME_FORMAT_H

/* printf-style formatting into Python strings and exceptions, with the
   format codes of PyUnicode_FromFormat (%S, %R, %A take an HPy).
   Compiled into every extension (python/hpy/devel/src/runtime/). */

HPyAPI_HELPER HPy
HPyUnicode_FromFormat(HPyContext *ctx, const char *fmt, ...);

HPyAPI_HELPER HPy
HPyUnicode_FromFormatV(HPyContext *ctx, const char *format, va_list vargs);

/* Raise h_type with the formatted message; always returns HPy_NULL. */
HPyAPI_HELPER HPy
HPyErr_Format(HPyContext *ctx, HPy h_type, const char *fmt, ...);

#endif /* HPY_RUNTIME_FORMAT_H */
