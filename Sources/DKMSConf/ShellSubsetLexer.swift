/// Reads the assignment subset of bash that 23 of Debian's 30 dkms.conf files use, and says precisely where a file
/// leaves it, so that no construct is ever guessed at: the caller then either runs bash or refuses the file.
///
/// Accepted at statement level: blank lines, `#` comments, `;` and newlines between statements, `\`-newline
/// continuations, one or more assignments per statement (`A=1 B=2`), an `export` or `declare` prefix (the latter
/// with the attribute flags `declare -p` prints: `--`, `-a`, `-x`, `-r`), and compound arrays `NAME=(… [3]=…)`.
/// Everything else that starts a statement is a command, and a command needs the shell. Words are read by
/// `ShellSubsetLexer+Words.swift`. CR before LF is dropped, so files written on Windows read like their Unix twins.
struct ShellSubsetLexer {
    /// The text, with every CR that ends a line removed (CRLF becomes LF).
    let text: [UInt8]
    var position = 0
    /// Offsets at which lines start, for turning a position into line and column.
    private let lineStarts: [Int]

    init(_ bytes: [UInt8]) {
        var cleaned: [UInt8] = []
        cleaned.reserveCapacity(bytes.count)
        for (offset, byte) in bytes.enumerated()
        where !(byte == UInt8(ascii: "\r") && offset + 1 < bytes.count && bytes[offset + 1] == newline) {
            cleaned.append(byte)
        }
        text = cleaned
        var starts = [0]
        for (offset, byte) in cleaned.enumerated() where byte == newline { starts.append(offset + 1) }
        lineStarts = starts
    }

    /// Every assignment in the file, in order; throws where the text needs bash or is malformed.
    mutating func assignments() throws(LexFailure) -> [Assignment] {
        var result: [Assignment] = []
        while true {
            skipBlanks()
            guard let byte = peek() else { return result }
            switch byte {
            case newline: position += 1
            case UInt8(ascii: "#"): skipComment()
            case UInt8(ascii: ";"): throw .syntax(message: "unexpected ';' with no statement before it", at: location())
            default: result += try statement()
            }
        }
    }

    /// One statement: an optional `export`/`declare` prefix, then assignments up to its end.
    private mutating func statement() throws(LexFailure) -> [Assignment] {
        var assignments: [Assignment] = []
        let keyword = prefixKeyword()
        if let keyword {
            position += keyword.utf8.count
            try skipDeclarationFlags(of: keyword)
        }
        while true {
            skipBlanks()
            guard let byte = peek() else { return assignments }
            switch byte {
            case newline, UInt8(ascii: ";"):
                position += 1
                return assignments
            case UInt8(ascii: "#"):
                skipComment()
                return assignments
            case UInt8(ascii: "&"), UInt8(ascii: "|"), UInt8(ascii: "<"), UInt8(ascii: ">"):
                throw .needsShell(reason: "a pipeline, list or redirection ('\(Character(UnicodeScalar(byte)))')", at: location())
            default:
                if let assignment = try assignment() {
                    assignments.append(assignment)
                } else if keyword == nil && assignments.isEmpty {
                    throw .needsShell(reason: "the command '\(commandWord())'", at: location())
                } else if keyword != nil && skipDeclaredNameWithoutValue() {
                    continue  // `export NAME` / `declare -- NAME`: declares, sets nothing
                } else {
                    throw .needsShell(reason: "a command after an assignment ('\(commandWord())')", at: location())
                }
            }
        }
    }

    /// `export` or `declare` followed by a blank, at the current position.
    private func prefixKeyword() -> String? {
        for keyword in ["export", "declare", "typeset"] where hasPrefix(keyword) {
            let next = byte(at: position + keyword.utf8.count)
            if next == UInt8(ascii: " ") || next == UInt8(ascii: "\t") { return keyword }
        }
        return nil
    }

    /// The flags after `declare`: only those that change nothing about the value are in the subset.
    private mutating func skipDeclarationFlags(of keyword: String) throws(LexFailure) {
        while true {
            skipBlanks()
            guard peek() == UInt8(ascii: "-") else { return }
            let flagsStart = location()
            var flags = ""
            while let byte = peek(), !isBlank(byte), byte != newline, byte != UInt8(ascii: ";") {
                flags.append(Character(UnicodeScalar(byte)))
                position += 1
            }
            let allowed: Set<Character> = keyword == "export" ? ["-"] : ["-", "a", "x", "r", "g"]
            guard flags.allSatisfy({ allowed.contains($0) }) else {
                throw .needsShell(reason: "'\(keyword) \(flags)'", at: flagsStart)
            }
        }
    }

    /// After an `export`/`declare` prefix, a name with no `=` declares it without a value; consumed here.
    private mutating func skipDeclaredNameWithoutValue() -> Bool {
        let start = position
        guard readName() != nil else { return false }
        if let next = peek(), !isBlank(next), next != newline, next != UInt8(ascii: ";") {
            position = start
            return false
        }
        return true
    }

    /// `NAME=…` or `NAME[digits]=…` at the current position; nil (position unchanged) when the word is not one.
    private mutating func assignment() throws(LexFailure) -> Assignment? {
        let start = position
        let startLocation = location()
        guard let name = readName() else { return nil }
        var index: Int?
        if peek() == UInt8(ascii: "[") {
            let indexLocation = location()
            position += 1
            var digits = ""
            while let byte = peek(), byte != UInt8(ascii: "]"), byte != newline {
                digits.append(Character(UnicodeScalar(byte)))
                position += 1
            }
            guard peek() == UInt8(ascii: "]") else {
                position = start
                return nil
            }
            position += 1
            guard digits.utf8.allSatisfy(isDigit), !digits.isEmpty, let number = Int(digits) else {
                throw .needsShell(reason: "an array index that is not a literal number ('\(name)[\(digits)]')", at: indexLocation)
            }
            index = number
        }
        if hasPrefix("+=") { throw .needsShell(reason: "an appending assignment ('\(name)+=')", at: location()) }
        guard peek() == UInt8(ascii: "=") else {
            position = start
            return nil
        }
        position += 1
        if peek() == UInt8(ascii: "(") {
            guard index == nil else { throw .syntax(message: "cannot assign a list to an array element ('\(name)[…]=(')", at: location()) }
            return Assignment(name: name, index: nil, value: .compound(try compoundElements()), location: startLocation)
        }
        return Assignment(name: name, index: index, value: .word(try word(inCompound: false)), location: startLocation)
    }

    /// The elements of `( … )`, after the `(`: `word` or `[digits]=word`, separated by blanks, newlines and comments.
    private mutating func compoundElements() throws(LexFailure) -> [(index: Int?, word: ShellWord)] {
        let open = location()
        position += 1
        var elements: [(index: Int?, word: ShellWord)] = []
        while true {
            skipBlanks()
            guard let byte = peek() else { throw .syntax(message: "unterminated array: '(' is never closed", at: open) }
            switch byte {
            case newline: position += 1
            case UInt8(ascii: "#"): skipComment()
            case UInt8(ascii: ";"): throw .syntax(message: "unexpected ';' in an array list", at: location())
            case UInt8(ascii: ")"):
                position += 1
                return elements
            case UInt8(ascii: "["):
                let indexLocation = location()
                position += 1
                var digits = ""
                while let digit = peek(), isDigit(digit) {
                    digits.append(Character(UnicodeScalar(digit)))
                    position += 1
                }
                guard hasPrefix("]="), let number = Int(digits) else {
                    throw .needsShell(reason: "an array element index that is not a literal number", at: indexLocation)
                }
                position += 2
                elements.append((number, try word(inCompound: true)))
            default:
                elements.append((nil, try word(inCompound: true)))
            }
        }
    }

    // MARK: - Cursor

    func peek() -> UInt8? { position < text.count ? text[position] : nil }

    func byte(at offset: Int) -> UInt8? { offset < text.count ? text[offset] : nil }

    func hasPrefix(_ string: String) -> Bool {
        var offset = position
        for byte in string.utf8 {
            guard offset < text.count, text[offset] == byte else { return false }
            offset += 1
        }
        return true
    }

    /// The current position as line and column.
    func location() -> SourceLocation { location(of: position) }

    func location(of offset: Int) -> SourceLocation {
        var low = 0
        var high = lineStarts.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if lineStarts[middle] <= offset { low = middle } else { high = middle - 1 }
        }
        return SourceLocation(line: low + 1, column: offset - lineStarts[low] + 1)
    }

    /// Skips spaces, tabs and `\`-newline continuations.
    mutating func skipBlanks() {
        while let byte = peek() {
            if isBlank(byte) {
                position += 1
            } else if byte == UInt8(ascii: "\\") && self.byte(at: position + 1) == newline {
                position += 2
            } else {
                return
            }
        }
    }

    private mutating func skipComment() {
        while let byte = peek(), byte != newline { position += 1 }
    }

    /// A shell name (`[A-Za-z_][A-Za-z0-9_]*`) at the current position, consumed; nil when there is none.
    mutating func readName() -> String? {
        guard let first = peek(), isNameStart(first) else { return nil }
        var name = ""
        while let byte = peek(), isNameStart(byte) || isDigit(byte) {
            name.append(Character(UnicodeScalar(byte)))
            position += 1
        }
        return name
    }

    /// The word at the current position up to a blank, for messages about commands.
    private func commandWord() -> String {
        var offset = position
        var bytes: [UInt8] = []
        while offset < text.count, !isBlank(text[offset]), text[offset] != newline, text[offset] != UInt8(ascii: ";"), bytes.count < 40 {
            bytes.append(text[offset])
            offset += 1
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

let newline = UInt8(ascii: "\n")

func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }

func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

func isNameStart(_ byte: UInt8) -> Bool {
    (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
        || byte == UInt8(ascii: "_")
}
