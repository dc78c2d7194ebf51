import DKMSConf
import Foundation
import SystemPackage
import SystemSupport
import TestSupport
import Testing

/// Quoting, escapes and continuations read natively must give what bash gives for the same text.
@Suite struct SyntaxOracleTests {
    static let snippets: [String] = [
        #"MAKE='single $HOME "quoted"'"#,
        #"MAKE="double \$ \` \" \\ \n \a $kernelver ${arch}x""#,
        #"MAKE=un\ quoted\"\$x\\y"#,
        "MAKE=\"one \\\ntwo\" CLEAN=three\\\nfour",
        "MAKE='keeps \\\n newline'",
        #"MAKE=a"b"'c'$kernelver\"d"#,
        "MAKE=x#notacomment # a comment\nCLEAN=#also",
        "PACKAGE_NAME=p; PACKAGE_VERSION=1 ; MAKE=$PACKAGE_NAME-$PACKAGE_VERSION",
        "export MAKE=exported\nexport CLEAN",
        #"declare -a BUILT_MODULE_NAME=([0]="a b" [2]=$'c\td\n' [5]="\"q\"")"#,
        #"declare -- MAKE=$'x\ny\'z\x41\101'"#,
        "BUILT_MODULE_NAME=(one 'two three' \"four\")\nSTRIP[1]=no",
        "MAKE=\"$unset_variable|${also_unset}|$\"\nCLEAN=$/ok",
        "BUILT_MODULE_NAME[3]=x\nDEST_MODULE_LOCATION[3]=${BUILT_MODULE_NAME[3]}/y\nMAKE=$BUILT_MODULE_NAME",
        "MAKE=crlf\r\nCLEAN=\"a\r\nb\"",
        "MAKE=0~2 CLEAN=a:b~c",
        "  \t# indented comment\n\n\tMAKE=indented   ",
        "MAKE=\"$parallel_jobs $dkms_tree $source_tree $install_tree $kernel_config $module $module_version $LC_ALL\"",
    ]

    @Test(arguments: snippets.indices)
    func nativeEqualsBash(_ index: Int) async throws {
        // bash keeps a CR before LF in a value; kmodmgr drops it, so the oracle reads the file without CRs.
        let text = Self.snippets[index]
        let directory = try readableTemporaryDirectory()
        let file = try writeConf(text, in: directory)
        let bashFile = try writeConf(text.replacing("\r\n", with: "\n"), in: directory, name: "bash.conf")
        let expected = try BashOracle.directives(of: bashFile.string, environment: plainEnvironment)
        let (values, evaluation) = try await ManifestLoader.directives(
            file, environment: plainEnvironment, shell: .forbidden, diagnostics: CollectingDiagnosticSink())
        #expect(evaluation == .native)
        #expect(values.values == expected, "\(text)")
    }

    @Test(arguments: [
        ("pushd /tmp", "the command 'pushd'", 1, 1),
        ("A=1\nif true; then A=2; fi", "the command 'if'", 2, 1),
        ("MAKE=\"$(uname -r)\"", "command substitution $(…)", 1, 7),
        ("MAKE=`uname`", "command substitution (`…`)", 1, 6),
        ("MAKE[$i]=x", "an array index that is not a literal number ('MAKE[$i]')", 1, 5),
        ("i=$((i+1))", "arithmetic expansion", 1, 3),
        ("A=${x:-y}", "the expansion ${x:…}", 1, 3),
        ("A=x B", "a command after an assignment ('B')", 1, 5),
        (". /etc/os-release", "the command '.'", 1, 1),
        ("A=$BASH_SOURCE", "bash's own variable $BASH_SOURCE", 1, 3),
        ("A=1 >/tmp/x", "a pipeline, list or redirection ('>')", 1, 5),
        ("A+=x", "an appending assignment ('A+=')", 1, 2),
        ("A=~/x", "tilde expansion", 1, 3),
        ("case x in esac", "the command 'case'", 1, 1),
    ])
    func needsShellIsLocated(_ text: String, _ reason: String, _ line: Int, _ column: Int) async throws {
        let error = await loadError(text)
        #expect(error?.kind == .shellForbidden(reason: reason))
        #expect(error?.line == line && error?.column == column, "\(String(describing: error))")
    }
}
