import ArgumentParser

/// The program's entry: parse, run, and turn errors into one line and an exit status.
public enum KmodmgrMain {
    public static func main() async -> Never {
        do {
            let arguments = GlobalArgumentOrder.normalized(Array(CommandLine.arguments.dropFirst()))
            var command: any ParsableCommand =
                arguments.first == "modinfo" && arguments.count > 8
                ? try Modinfo.parseSettingOperandsAside(Array(arguments.dropFirst())) : try Kmodmgr.parseAsRoot(arguments)
            if var asynchronous = command as? AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
            Kmodmgr.exit()
        } catch {
            // Help, usage and validation errors, and ExitCode: ArgumentParser renders those.
            Kmodmgr.exit(withError: error)
        }
    }
}
