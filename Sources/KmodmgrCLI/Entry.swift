import ArgumentParser

/// The program's entry: parse, run, and turn errors into one line and an exit status.
public enum KmodmgrMain {
    public static func main() async -> Never {
        // Started as `dkms` (the kmodmgr-dkms package's /usr/sbin/dkms) or as `kmodmgr dkms …`: DKMS's command line.
        let program = CommandLine.arguments.first.map { String($0.split(separator: "/").last ?? "") }
        if program == "dkms" { await DKMSFrontEnd.main(Array(CommandLine.arguments.dropFirst())) }
        if CommandLine.arguments.dropFirst().first == "dkms" { await DKMSFrontEnd.main(Array(CommandLine.arguments.dropFirst(2))) }
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
