#ifndef HPY_HPYSLOT_H
#define HPY_HPYSLOT_H

/* HPySlot_SIG(SLOT): the HPyFunc_Signature of the function a slot takes;
   HPyDef_SLOT uses it to declare the implementation and its trampoline.
   The slots and their signatures are in hpy/autogen_enums.h. */
#define HPySlot_SIG(SLOT) _HPySlot_SIG__##SLOT

#endif /* HPY_HPYSLOT_H */
