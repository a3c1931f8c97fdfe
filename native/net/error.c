/* tsc-net shares native/'s one error contract (native/src/error.h). */
#include "../src/error.c"
