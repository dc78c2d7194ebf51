import Foundation
import TestSupport
import Testing

/// `--verbose` reports each step of a build and an install; `-q` keeps notes out, results and errors in.
@Suite struct VerbosityTests {
    @Test func verboseShowsTheStepsAndQuietOnlyResults() throws {
        let root = try LifecycleRoot()
        let kernel = root.kernels.last!
        try root.kmodmgr("add", [testPackage("hello-1.0")])
        let verbose = try root.kmodmgr("install", ["hello/1.0", "-k", kernel, "--verbose"])
        #expect(verbose.status == 0, "\(verbose.standardError)")
        let notes = verbose.standardError
        for step in [
            "hello/1.0, \(kernel): make: /usr/bin/make -j", "kmm_hello: stripped",
            "hello/1.0, \(kernel): installed /lib/modules/\(kernel)/",
            "\(kernel): index updated",
        ] {
            #expect(notes.contains(step), "no '\(step)' in:\n\(notes)")
        }
        let plain = try root.kmodmgr("uninstall", ["hello/1.0", "-k", kernel])
        #expect(plain.standardError.isEmpty, "\(plain.standardError)")
        let again = try root.kmodmgr("uninstall", ["hello/1.0", "-k", kernel])
        #expect(again.standardError.contains("nothing to do"))
        let quiet = try root.kmodmgr("uninstall", ["hello/1.0", "-k", kernel, "-q"])
        #expect(quiet.status == 0 && quiet.standardError.isEmpty, "\(quiet.standardError)")
        let refused = try root.kmodmgr("install", ["nosuch/1.0", "-k", kernel, "-q"])
        #expect(refused.status == 1 && refused.standardError.contains("error"), "errors stay: \(refused.standardError)")
    }
}
