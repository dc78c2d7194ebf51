/// Durations for humans: seconds with two decimals.
enum BuildRunnerSeconds {
    static func format(_ duration: Duration) -> String {
        let hundredths = Int(duration.components.seconds) * 100 + Int(duration.components.attoseconds / 10_000_000_000_000_000)
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
