import Foundation
import TestSupport

@testable import DKMSConf

/// The reference: real bash sources the file (here as the test's own user, in a subshell with exactly the variables
/// kmodmgr documents) and dumps every directive array element as NUL-separated name, index, value triples. It
/// shares no code with DKMSConf's lexer.
enum BashOracle {
    static func directives(of file: String, environment: ManifestEnvironment) throws -> [String: [Int: String]] {
        let names = DirectiveTable.names.joined(separator: " ")
        let script = """
            cd "$(dirname "$1")" && . "$1" >/dev/null 2>&1
            for kmodmgr_d in \(names); do
                eval 'for kmodmgr_i in "${!'$kmodmgr_d'[@]}"; do printf "%s\\0%s\\0%s\\0" '$kmodmgr_d' "$kmodmgr_i" "${'$kmodmgr_d'[$kmodmgr_i]}"; done'
            done
            """
        let variables = environment.shellVariables.map { "\($0.key)=\($0.value)" }
        let result = try run("/usr/bin/env", ["-i"] + variables + ["/bin/bash", "--noprofile", "--norc", "-c", script, "oracle", file])
        guard result.status == 0 else { throw OracleFailed(status: result.status, stderr: result.standardError) }
        let fields = result.stdout.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        var values: [String: [Int: String]] = [:]
        var position = 0
        while position + 2 < fields.count {
            values[fields[position], default: [:]][Int(fields[position + 1])!] = fields[position + 2]
            position += 3
        }
        return values
    }

    struct OracleFailed: Error {
        let status: Int32
        let stderr: String
    }
}
