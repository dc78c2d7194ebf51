extension Duration {
    /// Seconds with two decimals, for logs and messages ("2.68").
    public var secondsText: String {
        let hundredths = Int(components.seconds) * 100 + Int(components.attoseconds / 10_000_000_000_000_000)
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}

extension Duration {
    /// Milliseconds with two decimals ("1.84"), for the short steps a log times.
    public var millisecondsText: String {
        let hundredths = Int(components.seconds) * 100_000 + Int(components.attoseconds / 10_000_000_000_000)
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
