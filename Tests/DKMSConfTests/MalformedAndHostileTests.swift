import DKMSConf
import Foundation
import SystemPackage
import SystemSupport
import TestSupport
import Testing

private let header = "PACKAGE_NAME=demo\nPACKAGE_VERSION=1.0\n"

/// Malformed files give located errors; values that would steer kmodmgr outside its directories are refused.
@Suite struct MalformedAndHostileTests {
    /// A dkms.conf that is a FIFO (would block `open` forever), a link to `/dev/zero` (never ends), or 200 MB
    /// (costs its size) is refused at once with one line naming it, without reading it. Each case is bounded by a
    /// time limit of its own: a hang fails the test instead of stalling the suite. The limit is generous because it
    /// runs from the test's start, and in the full parallel suite an async test can wait minutes for a thread.
    @Test(.timeLimit(.minutes(10)), arguments: ["fifo", "dev-zero", "oversized"])
    func aFileThatIsNoManifestIsRefusedWithoutBeingRead(_ attack: String) async throws {
        let directory = try TemporaryDirectory()
        let file = directory.path("dkms.conf")
        switch attack {
        case "fifo": #expect(mkfifo(file.path, 0o644) == 0)
        case "dev-zero": try FileManager.default.createSymbolicLink(atPath: file.path, withDestinationPath: "/dev/zero")
        default:
            #expect(FileManager.default.createFile(atPath: file.path, contents: nil))
            #expect(truncate(file.path, 200 << 20) == 0)  // sparse: 200 MB that cost nothing to make
        }
        let clock = ContinuousClock()
        let start = clock.now
        var failure: ManifestError?
        do {
            _ = try await ManifestLoader.load(
                FilePath(file.path), environment: plainEnvironment, shell: .forbidden, diagnostics: CollectingDiagnosticSink())
        } catch {
            failure = error
        }
        #expect(clock.now - start < .seconds(5))
        let expected = [
            "fifo": "it is a FIFO, not a regular file", "dev-zero": "it is a character device, not a regular file",
            "oversized": "it is 209715200 bytes; at most 1048576 are read",
        ][attack]!
        #expect(failure?.description == "\(file.path): cannot read dkms.conf: \(expected)", "\(String(describing: failure))")
    }

    @Test(arguments: [
        ("A='open", "unterminated single quote", 1, 3),
        ("A=1\nB=\"x\n\ny", "unterminated double quote", 2, 3),
        ("A=$'x", "unterminated $' quote", 1, 3),
        ("A=(a b", "unterminated array: '(' is never closed", 1, 3),
        ("\n  ; A=1", "unexpected ';' with no statement before it", 2, 3),
        ("A=${B", "unterminated ${", 1, 3),
        ("A[1]=(x)", "cannot assign a list to an array element ('A[…]=(')", 1, 6),
        // Found by the dkmsconf fuzz target: `;` inside ( … ) made the lexer append empty words forever.
        ("A=(;)", "unexpected ';' in an array list", 1, 4),
    ])
    func syntaxErrorsAreLocated(_ text: String, _ message: String, _ line: Int, _ column: Int) async throws {
        let error = try #require(await loadError(text))
        #expect(error.kind == .syntax(message))
        #expect(error.description == "/src/demo-1.0/dkms.conf:\(line):\(column): \(message)")
    }

    @Test(arguments: [
        ("BUILT_MODULE_NAME=m\nBUILT_MODULE_LOCATION=\"../../etc\"", "BUILT_MODULE_LOCATION[0]", "must not contain '..'"),
        ("BUILT_MODULE_NAME=m\nBUILT_MODULE_LOCATION=/etc", "BUILT_MODULE_LOCATION[0]", "must be relative to its directory, not absolute"),
        ("BUILT_MODULE_NAME=m\nDEST_MODULE_LOCATION=/kernel/../../etc", "DEST_MODULE_LOCATION[0]", "must not contain '..'"),
        ("BUILT_MODULE_NAME=m\nDEST_MODULE_LOCATION=/lib/x", "DEST_MODULE_LOCATION[0]", "must start with /kernel, /updates or /extra"),
        ("BUILT_MODULE_NAME=m\nPATCH[0]=/etc/passwd", "PATCH[0]", "must be relative to its directory, not absolute"),
        ("BUILT_MODULE_NAME=m\nPATCH[2]=../x.patch", "PATCH[2]", "must not contain '..'"),
        ("BUILT_MODULE_NAME=m\nPOST_INSTALL=\"/bin/rm -rf /\"", "POST_INSTALL", "must be relative to its directory, not absolute"),
        ("BUILT_MODULE_NAME=m\nPRE_BUILD=../../x", "PRE_BUILD", "must not contain '..'"),
        ("BUILT_MODULE_NAME=../m", "BUILT_MODULE_NAME[0]", "must be a single path component (no '/')"),
        ("BUILT_MODULE_NAME=m.ko", "BUILT_MODULE_NAME[0]", "a module name is given without '.o' or '.ko'"),
        ("BUILT_MODULE_NAME=m\nDEST_MODULE_NAME=..", "DEST_MODULE_NAME[0]", "must not be '.' or '..'"),
        ("BUILT_MODULE_NAME=$'a\\nb'", "BUILT_MODULE_NAME[0]", "must not contain control characters (NUL, newline, …)"),
        ("BUILT_MODULE_NAME=m\nMAKE_MATCH[1]='('", "MAKE_MATCH[1]", "not a valid extended regex"),
        ("BUILT_MODULE_NAME=m\nBUILD_EXCLUSIVE_KERNEL='[z-a]'", "BUILD_EXCLUSIVE_KERNEL", "not a valid extended regex"),
        // Sparse and duplicated declarations: DKMS pairs them wrongly or fails the build with "File exists".
        ("BUILT_MODULE_NAME[0]=a\nBUILT_MODULE_NAME[2]=b", "BUILT_MODULE_NAME[1]", "missing: modules are numbered from 0 without gaps"),
        ("BUILT_MODULE_NAME=m\nDEST_MODULE_LOCATION[4]=/extra", "DEST_MODULE_LOCATION[4]", "there is no BUILT_MODULE_NAME[4] for it"),
        ("BUILT_MODULE_NAME[0]=m\nBUILT_MODULE_NAME[1]=m", "BUILT_MODULE_NAME[1]", "module name m again (as BUILT_MODULE_NAME[0])"),
        ("BUILT_MODULE_NAME[0]=a\nBUILT_MODULE_NAME[1]=b\nDEST_MODULE_NAME[1]=a", "BUILT_MODULE_NAME[1]", "module name a again"),
        ("BUILT_MODULE_NAME[0]=snd_x\nBUILT_MODULE_NAME[1]=snd-x", "BUILT_MODULE_NAME[1]", "module name snd_x again"),
    ])
    func hostileValuesAreRefused(_ body: String, _ directive: String, _ reason: String) async throws {
        let error = try #require(await loadError(header + body))
        guard case .invalidDirective(let named, _, let why) = error.kind else {
            Issue.record("unexpected \(error)")
            return
        }
        #expect(named == directive)
        #expect(why.hasPrefix(reason), "\(why)")
        #expect(error.line != nil && error.description.hasPrefix("/src/demo-1.0/dkms.conf:"))
    }

    @Test(arguments: ["../x", "", ".", "a/b"])
    func hostilePackageNamesAreRefused(_ name: String) async throws {
        let error = try #require(await loadError("PACKAGE_NAME='\(name)'\nPACKAGE_VERSION=1\nBUILT_MODULE_NAME=m"))
        switch error.kind {
        case .invalidDirective(let directive, _, _): #expect(directive == "PACKAGE_NAME")
        case .missingDirective(let directive): #expect(directive == "PACKAGE_NAME" && name.isEmpty)
        default: Issue.record("unexpected \(error)")
        }
    }

    @Test func missingBuiltModuleName() async throws {
        let error = try #require(await loadError(header + "DEST_MODULE_LOCATION[0]=/extra\nDEST_MODULE_LOCATION[1]=/extra"))
        #expect(error.kind == .missingDirective("BUILT_MODULE_NAME"))
        #expect(error.description == "/src/demo-1.0/dkms.conf: required directive BUILT_MODULE_NAME is missing or empty")
    }
}
