#ifndef KMODMGR_CFUZZDRIVER_H
#define KMODMGR_CFUZZDRIVER_H

#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver (compiler-rt, `-sanitize=fuzzer`): parses the libFuzzer flags in argv and runs `callback` on
/// every input. A SwiftPM executable's `main` is its own top-level code, never libFuzzer's `main`, so each target's
/// main.swift calls this instead.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

/// The fuzz target: every target defines it in Swift with `@_cdecl("LLVMFuzzerTestOneInput")`. Declared here so that
/// `Fuzzing.run()` hands libFuzzer the C symbol itself (a Swift reference to a `@_cdecl` function from another file
/// emits a second definition of it).
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
