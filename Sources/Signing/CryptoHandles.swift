import CCrypto

/// libcrypto's handles, each wrapped once, here: the key (`EVP_PKEY`), the certificate (`X509`) and the memory
/// `BIO`s that carry bytes in and out. No C type leaves this target. A key or certificate is never changed after it
/// is made, and libcrypto lets several threads sign with one key at once (OpenSSL 3's keys are reference-counted and
/// read-only while used), so the wrappers are `Sendable`.
final class KeyHandle: @unchecked Sendable {
    let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { EVP_PKEY_free(pointer) }
}

final class CertificateHandle: @unchecked Sendable {
    let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { X509_free(pointer) }
}

/// What libcrypto said when an operation failed: the oldest message of its error queue (which is then cleared, so
/// that a later failure is not blamed on this one).
public struct CryptoFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public let operation: String
    public let detail: String

    public var description: String { detail.isEmpty ? "\(operation) failed" : "\(operation) failed: \(detail)" }

    static func last(_ operation: String) -> CryptoFailure {
        let code = ERR_get_error()
        var detail = ""
        if code != 0 {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            detail = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        ERR_clear_error()
        return CryptoFailure(operation: operation, detail: detail)
    }
}

/// Memory `BIO`s: bytes handed to libcrypto without copying, and what libcrypto writes collected into an array.
enum MemoryBIO {
    /// Runs `body` with a read-only `BIO` over `bytes`.
    static func reading<T, E: Error>(_ bytes: UnsafeRawBufferPointer, _ body: (OpaquePointer) throws(E) -> T) throws(E) -> T {
        // BIO_new_mem_buf only fails on allocation, where nothing sensible can go on.
        let bio = BIO_new_mem_buf(bytes.baseAddress, Int32(clamping: bytes.count))!
        defer { BIO_free(bio) }
        return try body(bio)
    }

    /// Runs `write` with an empty memory `BIO` and returns what it wrote, or nil when `write` reports failure.
    static func collecting(_ write: (OpaquePointer) -> Bool) -> [UInt8]? {
        let bio = BIO_new(BIO_s_mem())!
        defer { BIO_free(bio) }
        guard write(bio) else { return nil }
        var data: UnsafeMutablePointer<CChar>?
        let count = BIO_ctrl(bio, BIO_CTRL_INFO, 0, &data)
        guard count > 0, let data else { return [] }
        return Array(UnsafeRawBufferPointer(start: data, count: count))
    }
}
