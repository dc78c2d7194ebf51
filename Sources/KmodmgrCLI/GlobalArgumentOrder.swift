/// Global options may come before the command's name, as admins type them (`kmodmgr --root /mnt add DIR`):
/// they are moved after it, where each command declares them, so that ArgumentParser sees one grammar.
enum GlobalArgumentOrder {
    /// The global options, and whether each takes a value.
    static let options: [String: Bool] = ["--root": true, "--verbose": false, "--quiet": false, "-q": false, "--no-wait": false]

    /// `arguments` (without the program name) with the global options that precede the first other word moved
    /// after that word. Anything else is left exactly as it is (`--help`, `--version`, unknown words).
    /// Commands made of subcommands: global options between the two words go after the second
    /// (`kmodmgr key --root /mnt generate`).
    static let commandGroups: [String: Set<String>] = ["key": ["show", "generate", "enroll-hint"]]

    static func normalized(_ arguments: [String]) -> [String] {
        let moved = movedAfterFirstWord(arguments)
        guard let command = moved.first, let subcommands = commandGroups[command] else { return moved }
        let rest = movedAfterFirstWord(Array(moved.dropFirst()))
        guard let first = rest.first, subcommands.contains(first) else { return moved }
        return [command] + rest
    }

    private static func movedAfterFirstWord(_ arguments: [String]) -> [String] {
        var leading = [String]()
        var index = 0
        while index < arguments.count {
            let word = arguments[index]
            let name = word.split(separator: "=", maxSplits: 1).first.map(String.init) ?? word
            guard let takesValue = options[name] else { break }
            leading.append(word)
            if takesValue && !word.contains("=") && index + 1 < arguments.count {
                leading.append(arguments[index + 1])
                index += 1
            }
            index += 1
        }
        guard !leading.isEmpty, index < arguments.count else { return arguments }
        return [arguments[index]] + leading + arguments[(index + 1)...]
    }
}
