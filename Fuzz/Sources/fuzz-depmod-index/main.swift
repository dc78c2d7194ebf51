import FuzzSupport

// libFuzzer drives the process; the target itself is LLVMFuzzerTestOneInput in Target.swift.
Fuzzing.run()
