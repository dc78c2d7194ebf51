/// The values the lexer produces for the assignment subset of bash: assignments whose right-hand sides are words
/// made of literal text and variable references. Expansion happens later, in `ShellVariables`, statement by
/// statement, because a file may use a variable it set on an earlier line.

/// A place in the source text: 1-based line and byte column.
struct SourceLocation: Sendable, Equatable {
    let line: Int
    let column: Int
}

/// One piece of a word: literal bytes (quotes and escapes already removed) or a variable to expand.
enum WordPiece: Sendable, Equatable {
    case literal([UInt8])
    /// `$name`, `${name}` or `${name[index]}`; an index of nil is element 0, as bash reads a bare array name.
    case variable(name: String, index: Int?)
}

/// A word on the right of `=`: its pieces are concatenated after expansion, without word splitting (bash does not
/// split the value of an assignment).
struct ShellWord: Sendable, Equatable {
    var pieces: [WordPiece] = []

    mutating func append(literal byte: UInt8) {
        if case .literal(var bytes) = pieces.last {
            pieces.removeLast()
            bytes.append(byte)
            pieces.append(.literal(bytes))
        } else {
            pieces.append(.literal([byte]))
        }
    }

    mutating func append(literal bytes: [UInt8]) {
        for byte in bytes { append(literal: byte) }
    }
}

/// The right-hand side of an assignment.
enum AssignedValue: Sendable, Equatable {
    /// `NAME=word` or `NAME[i]=word`.
    case word(ShellWord)
    /// `NAME=(word [3]=word …)`: replaces the whole array; a nil index means "the next one".
    case compound([(index: Int?, word: ShellWord)])

    static func == (lhs: AssignedValue, rhs: AssignedValue) -> Bool {
        switch (lhs, rhs) {
        case (.word(let a), .word(let b)): a == b
        case (.compound(let a), .compound(let b)): a.count == b.count && zip(a, b).allSatisfy { $0.index == $1.index && $0.word == $1.word }
        default: false
        }
    }
}

/// One `NAME=value`, `NAME[i]=value`, `export NAME=value` or `declare -a NAME=(…)` found in the file.
struct Assignment: Sendable, Equatable {
    let name: String
    /// The literal index of `NAME[i]=`; nil for a plain `NAME=`.
    let index: Int?
    let value: AssignedValue
    /// Where the name starts.
    let location: SourceLocation
}

/// Why the lexer stopped: the text needs bash, or it is not valid shell at all.
enum LexFailure: Error, Sendable, Equatable {
    /// A construct outside the assignment subset (`reason` names it), at `location`.
    case needsShell(reason: String, at: SourceLocation)
    /// Malformed text (an unterminated quote …); bash would reject it too.
    case syntax(message: String, at: SourceLocation)
}
