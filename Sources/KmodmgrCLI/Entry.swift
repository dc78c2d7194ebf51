import ArgumentParser

/// A command that failed for a reason kmodmgr already explained in `message`.
struct CommandFailure: Error {
    let message: String
    let exitCode: ExitCode
}

/// The program's entry: parse, run, and turn errors into one line and an exit status.
public enum KmodmgrMain {
    public static func main() -> Never {
        do {
            var command = try Kmodmgr.parseAsRoot()
            try command.run()
            Kmodmgr.exit()
        } catch let failure as CommandFailure {
            Output.error(failure.message)
            Kmodmgr.exit(withError: failure.exitCode)
        } catch {
            // Help, usage and validation errors, and ExitCode: ArgumentParser renders those.
            Kmodmgr.exit(withError: error)
        }
    }
}
