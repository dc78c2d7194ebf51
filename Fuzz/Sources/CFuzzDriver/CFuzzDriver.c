// Nothing to compile: the target exists for its header, which declares a function of libFuzzer's runtime.
#include "CFuzzDriver.h"
