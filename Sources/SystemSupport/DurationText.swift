extension Duration {
    /// Seconds with two decimals, for logs and messages ("2.68").
    public var secondsText: String {
        let hundredths = Int(components.seconds) * 100 + Int(components.attoseconds / 10_000_000_000_000_000)
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
