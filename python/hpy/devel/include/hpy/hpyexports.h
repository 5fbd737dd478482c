#ifndef HPY_HPYEXPORTS_H
#define HPY_HPYEXPORTS_H

/* Makes a symbol visible outside the shared object even when the extension
   is compiled with -fvisibility=hidden. */
#ifndef HPy_EXPORTED_SYMBOL
#  if defined(_WIN32) || defined(__CYGWIN__)
#    define HPy_EXPORTED_SYMBOL __declspec(dllexport)
#  elif defined(__GNUC__)
#    define HPy_EXPORTED_SYMBOL __attribute__((visibility("default")))
#  else
#    define HPy_EXPORTED_SYMBOL
#  endif
#endif

/* An exported function with C linkage. */
#ifdef __cplusplus
#  define HPy_EXPORTED_FUNC extern "C" HPy_EXPORTED_SYMBOL
#else
#  define HPy_EXPORTED_FUNC HPy_EXPORTED_SYMBOL
#endif

#endif /* HPY_HPYEXPORTS_H */
