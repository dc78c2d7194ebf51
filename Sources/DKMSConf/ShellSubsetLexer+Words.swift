/// Words: the right-hand side of an assignment, with bash's quoting rules.
///
/// - `'…'` is literal; `$'…'` takes C escapes (bash's own `declare -p` output uses it for values with newlines).
/// - `"…"` expands `$NAME`, `${NAME}` and `${NAME[n]}`; a backslash escapes only `$`, `` ` ``, `"`, `\` and newline
///   (a `\`-newline disappears), and stays a backslash before anything else.
/// - Unquoted, a backslash makes the next byte literal (or joins lines), and the word ends at a blank, newline or `;`.
/// - Command substitution, arithmetic, the other `${…}` forms, special parameters and bash's own variables need the
///   shell, as do tilde expansion, and globbing or splitting inside `( … )`.
extension ShellSubsetLexer {
    /// Reads one word; `inCompound` is true inside `NAME=( … )`, where `)` ends it and bash would split and glob.
    mutating func word(inCompound: Bool) throws(LexFailure) -> ShellWord {
        var word = ShellWord()
        var atValueStart = true
        while let byte = peek() {
            if isBlank(byte) || byte == newline || byte == UInt8(ascii: ";") { break }
            if inCompound && byte == UInt8(ascii: ")") { break }
            let here = location()
            switch byte {
            case UInt8(ascii: "'"):
                position += 1
                word.append(literal: try singleQuoted(openedAt: here))
            case UInt8(ascii: "\""):
                position += 1
                try doubleQuoted(into: &word, openedAt: here)
            case UInt8(ascii: "\\"):
                position += 1
                if let next = peek() {
                    position += 1
                    if next != newline { word.append(literal: next) }
                } else {
                    word.append(literal: byte)
                }
            case UInt8(ascii: "$"):
                if inCompound && isExpansionStart(self.byte(at: position + 1)) {
                    throw .needsShell(reason: "an unquoted expansion in an array list (word splitting)", at: here)
                }
                try dollar(into: &word, quoted: false)
            case UInt8(ascii: "`"):
                throw .needsShell(reason: "command substitution (`…`)", at: here)
            case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "&"), UInt8(ascii: "|"), UInt8(ascii: "<"), UInt8(ascii: ">"):
                throw .needsShell(reason: "'\(Character(UnicodeScalar(byte)))' in a value", at: here)
            case UInt8(ascii: "~") where atValueStart || lastLiteral(of: word) == UInt8(ascii: ":"):
                throw .needsShell(reason: "tilde expansion", at: here)
            case _ where inCompound && "*?[{".utf8.contains(byte):
                throw .needsShell(reason: "a pattern or brace in an array list", at: here)
            default:
                position += 1
                word.append(literal: byte)
            }
            atValueStart = false
        }
        return word
    }

    private func lastLiteral(of word: ShellWord) -> UInt8? {
        if case .literal(let bytes) = word.pieces.last { return bytes.last }
        return nil
    }

    private func isExpansionStart(_ byte: UInt8?) -> Bool {
        guard let byte else { return false }
        return isNameStart(byte) || isDigit(byte) || "{([@*#?-$!".utf8.contains(byte)
    }

    /// The body of `'…'` after the quote, up to and past the closing one.
    private mutating func singleQuoted(openedAt open: SourceLocation) throws(LexFailure) -> [UInt8] {
        var bytes: [UInt8] = []
        while let byte = peek() {
            position += 1
            if byte == UInt8(ascii: "'") { return bytes }
            bytes.append(byte)
        }
        throw .syntax(message: "unterminated single quote", at: open)
    }

    /// The body of `"…"` after the quote, up to and past the closing one.
    private mutating func doubleQuoted(into word: inout ShellWord, openedAt open: SourceLocation) throws(LexFailure) {
        while let byte = peek() {
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                return
            case UInt8(ascii: "\\"):
                position += 1
                guard let next = peek() else { break }
                position += 1
                if next == newline { continue }
                if !"$`\"\\".utf8.contains(next) { word.append(literal: byte) }
                word.append(literal: next)
            case UInt8(ascii: "$"):
                try dollar(into: &word, quoted: true)
            case UInt8(ascii: "`"):
                throw .needsShell(reason: "command substitution (`…`)", at: location())
            default:
                position += 1
                word.append(literal: byte)
            }
        }
        throw .syntax(message: "unterminated double quote", at: open)
    }

    /// `$` at the current position: a variable reference, `$'…'`, or a literal dollar sign.
    private mutating func dollar(into word: inout ShellWord, quoted: Bool) throws(LexFailure) {
        let here = location()
        position += 1
        guard let next = peek() else {
            word.append(literal: UInt8(ascii: "$"))
            return
        }
        switch next {
        case UInt8(ascii: "("), UInt8(ascii: "["):
            let what = hasPrefix("((") || next == UInt8(ascii: "[") ? "arithmetic expansion" : "command substitution $(…)"
            throw .needsShell(reason: what, at: here)
        case UInt8(ascii: "{"):
            position += 1
            try braced(into: &word, openedAt: here)
        case UInt8(ascii: "'") where !quoted:
            position += 1
            word.append(literal: try ansiCQuoted(openedAt: here))
        case UInt8(ascii: "\"") where !quoted:
            throw .needsShell(reason: "a locale-translated string $\"…\"", at: here)
        case _ where isNameStart(next):
            let name = readName()!
            try checkPlainVariable(name, at: here)
            word.pieces.append(.variable(name: name, index: nil))
        case _ where isDigit(next) || "@*#?-$!".utf8.contains(next):
            throw .needsShell(reason: "the special parameter $\(Character(UnicodeScalar(next)))", at: here)
        default:
            word.append(literal: UInt8(ascii: "$"))
        }
    }

    /// `${NAME}` or `${NAME[digits]}` after the `{`; every other form of `${…}` needs the shell.
    private mutating func braced(into word: inout ShellWord, openedAt open: SourceLocation) throws(LexFailure) {
        guard let name = readName() else {
            throw peek() == nil
                ? .syntax(message: "unterminated ${", at: open) : .needsShell(reason: "a ${…} form other than ${NAME}", at: open)
        }
        var index: Int?
        if peek() == UInt8(ascii: "[") {
            position += 1
            var digits = ""
            while let digit = peek(), isDigit(digit) {
                digits.append(Character(UnicodeScalar(digit)))
                position += 1
            }
            guard peek() == UInt8(ascii: "]"), let number = Int(digits) else {
                throw .needsShell(reason: "an array reference that is not ${NAME[number]}", at: open)
            }
            position += 1
            index = number
        }
        guard let close = peek() else { throw .syntax(message: "unterminated ${", at: open) }
        guard close == UInt8(ascii: "}") else {
            throw .needsShell(reason: "the expansion ${\(name)\(Character(UnicodeScalar(close)))…}", at: open)
        }
        position += 1
        try checkPlainVariable(name, at: open)
        word.pieces.append(.variable(name: name, index: index))
    }

    /// Variables that bash itself sets (`BASH_SOURCE`, `PWD`, `RANDOM` …) have no value without bash.
    private func checkPlainVariable(_ name: String, at location: SourceLocation) throws(LexFailure) {
        if name.hasPrefix("BASH") || bashOwnVariables.contains(name) {
            throw .needsShell(reason: "bash's own variable $\(name)", at: location)
        }
    }

    /// The body of `$'…'` after the quote: C escapes, as bash's `declare -p` writes values with control characters.
    private mutating func ansiCQuoted(openedAt open: SourceLocation) throws(LexFailure) -> [UInt8] {
        var bytes: [UInt8] = []
        while let byte = peek() {
            position += 1
            if byte == UInt8(ascii: "'") { return bytes }
            guard byte == UInt8(ascii: "\\"), let escaped = peek() else {
                bytes.append(byte)
                continue
            }
            position += 1
            if let simple = cEscapes[escaped] {
                bytes.append(simple)
            } else if (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(escaped) {
                bytes.append(readNumber(first: escaped, radix: 8, maxDigits: 3))
            } else if escaped == UInt8(ascii: "x"), let first = peek(), hexValue(first) != nil {
                position += 1
                bytes.append(readNumber(first: first, radix: 16, maxDigits: 2))
            } else {
                bytes += [byte, escaped]
            }
        }
        throw .syntax(message: "unterminated $' quote", at: open)
    }

    /// A number of up to `maxDigits` digits whose first digit was already consumed; wraps to a byte as bash does.
    private mutating func readNumber(first: UInt8, radix: Int, maxDigits: Int) -> UInt8 {
        var value = hexValue(first)!
        var count = 1
        while count < maxDigits, let next = peek(), let digit = hexValue(next), digit < radix {
            value = value * radix + digit
            position += 1
            count += 1
        }
        return UInt8(truncatingIfNeeded: value)
    }
}

private func hexValue(_ byte: UInt8) -> Int? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
    case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(byte - UInt8(ascii: "a")) + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(byte - UInt8(ascii: "A")) + 10
    default: nil
    }
}

/// The one-character escapes of `$'…'`.
private let cEscapes: [UInt8: UInt8] = [
    UInt8(ascii: "n"): 10, UInt8(ascii: "t"): 9, UInt8(ascii: "r"): 13, UInt8(ascii: "a"): 7, UInt8(ascii: "b"): 8,
    UInt8(ascii: "e"): 27, UInt8(ascii: "E"): 27, UInt8(ascii: "f"): 12, UInt8(ascii: "v"): 11,
    UInt8(ascii: "\\"): UInt8(ascii: "\\"), UInt8(ascii: "'"): UInt8(ascii: "'"), UInt8(ascii: "\""): UInt8(ascii: "\""),
    UInt8(ascii: "?"): UInt8(ascii: "?"),
]

/// Variables bash sets by itself, which a native reading cannot know (those starting with `BASH` are caught apart).
private let bashOwnVariables: Set<String> = [
    "PWD", "OLDPWD", "HOSTNAME", "HOSTTYPE", "OSTYPE", "MACHTYPE", "UID", "EUID", "PPID", "GROUPS", "RANDOM", "SRANDOM",
    "SECONDS", "LINENO", "SHELLOPTS", "IFS", "SHLVL", "FUNCNAME", "PIPESTATUS", "EPOCHSECONDS", "EPOCHREALTIME", "OPTIND",
    "OPTARG", "OPTERR", "PS4", "HISTCMD", "DIRSTACK", "COLUMNS", "LINES", "REPLY", "_",
]
