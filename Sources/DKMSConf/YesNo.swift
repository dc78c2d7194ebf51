/// Yes/no answers in dkms.conf. DKMS reads `AUTOINSTALL` as "set or not", so `AUTOINSTALL="no"` turns it on; kmodmgr
/// reads the word instead, and leaves the caller to warn about a word that is neither.
enum YesNo {
    /// `yes`/`y`/`1`/`true` (any case) → true; `no`/`n`/`0`/`false`/empty → false; anything else → nil.
    static func parse(_ value: String) -> Bool? {
        switch value.lowercased() {
        case "yes", "y", "1", "true": true
        case "no", "n", "0", "false", "": false
        default: nil
        }
    }

    /// `STRIP[i]`: empty → nil (take `STRIP[0]`'s answer); a word starting with `n` (DKMS's `[nN]*`), `0` or `false` →
    /// false; anything else → true.
    static func parseStrip(_ value: String) -> Bool? {
        let lowered = value.lowercased()
        if lowered.isEmpty { return nil }
        return !(lowered.hasPrefix("n") || lowered == "0" || lowered == "false")
    }
}
