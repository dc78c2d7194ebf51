/// The variables of a dkms.conf as bash would hold them after sourcing it: every variable is an indexed array, and a
/// scalar is element 0 (so `MAKE="…"` and `MAKE[0]="…"` are the same thing, as in bash).
///
/// The native path replays the lexer's assignments in order, expanding each word with the values set so far; the
/// shell path replays bash's `declare -p` output the same way. Both end with the same value.
struct ShellVariables: Sendable {
    private(set) var values: [String: [Int: String]]
    /// Where each name was first assigned, for warnings about unknown directives.
    private(set) var firstAssignment: [String: SourceLocation] = [:]
    /// Names whose value some later word used: helper variables, not directives.
    private(set) var referenced: Set<String> = []

    /// Starts from the variables DKMS gives every dkms.conf (`ManifestEnvironment.shellVariables`).
    init(_ initial: [String: String]) {
        values = initial.mapValues { [0: $0] }
    }

    /// Performs `assignment` as bash would, expanding its words now.
    mutating func perform(_ assignment: Assignment) {
        if firstAssignment[assignment.name] == nil { firstAssignment[assignment.name] = assignment.location }
        switch assignment.value {
        case .word(let word):
            values[assignment.name, default: [:]][assignment.index ?? 0] = expand(word)
        case .compound(let elements):
            var array: [Int: String] = [:]
            var next = 0
            for element in elements {
                let index = element.index ?? next
                array[index] = expand(element.word)
                next = index + 1
            }
            values[assignment.name] = array
        }
    }

    /// The word's value: literals as they are, variables by their current value ("" when unset, as in bash).
    mutating func expand(_ word: ShellWord) -> String {
        var bytes: [UInt8] = []
        for piece in word.pieces {
            switch piece {
            case .literal(let literal): bytes += literal
            case .variable(let name, let index):
                referenced.insert(name)
                bytes += Array((values[name]?[index ?? 0] ?? "").utf8)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The value of `name[index]`, or nil when it is not set.
    subscript(name: String, index: Int) -> String? { values[name]?[index] }

    /// Every set element of `name`, by index.
    func array(_ name: String) -> [Int: String] { values[name] ?? [:] }
}
