import Codecs
import FuzzSupport
import SystemPackage

// The three decoders (gzip through zlib, xz through liblzma, zstd through libzstd) through each way kmodmgr drives
// them:
//   - `Codec.decompress`: a whole buffer, concatenated members/streams/frames, the 1 GiB output limit;
//   - `Codec.decompressLeadingStream`: exactly one stream, saying where it ends (the initramfs reader's way);
//   - `ScratchImageReader.withModuleImage`: a module file (here a scratch file), where xz and single-frame zstd
//     decode straight into a reused buffer sized from the stream's own index or frame header, and decoders are
//     restarted for the next module — so each input is read twice with one reader.
// The format is the one the input's magic names; an input with no known magic is given to all three decoders.
//
// Invariants besides "no crash": the three ways agree on the bytes whenever they succeed on the same data (the
// leading stream only when it took the whole input), and a stream never claims more input than it was given.

/// Stops `decompressLeadingStream` from collecting more than this (its output is not limited otherwise).
private let leadingOutputCap = 64 << 20

private let moduleFile: FilePath = Fuzzing.scratchDirectory.appending("module.ko")

@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Fuzzing.bytes(data, size)
    let sniffed = CompressionFormat.sniff(bytes.prefix(8))
    let formats: [CompressionFormat] = sniffed == .none ? [.gzip, .xz, .zstd] : [sniffed]
    for format in formats {
        let whole: [UInt8]?
        do { whole = try Codec.decompress(bytes, from: format) } catch {
            _ = error.description
            whole = nil
        }

        var leading = [UInt8]()
        let consumed: Int?
        do {
            consumed = try bytes.withUnsafeBytes { input throws(CodecError) in
                try Codec.decompressLeadingStream(input, from: format) { chunk in
                    Fuzzing.require(chunk.count > 0, "an empty chunk from the \(format) leading stream")
                    guard leading.count + chunk.count <= leadingOutputCap else { return false }
                    leading.append(contentsOf: chunk)
                    return true
                }
            }
        } catch {
            _ = String(describing: error)  // a CodecError (withUnsafeBytes rethrows it untyped)
            consumed = nil
        }
        if let consumed {
            Fuzzing.require(consumed > 0 && consumed <= bytes.count, "the \(format) leading stream claims \(consumed) of \(bytes.count) bytes")
            if consumed == bytes.count, let whole {
                Fuzzing.require(whole == leading, "\(format): one leading stream over the whole input gives other bytes than decompress")
            }
        }
    }
    // A module file: the reader sniffs it itself, as it does a real module, so only inputs with a magic decode.
    if sniffed != .none {
        let whole = try? Codec.decompress(bytes, from: sniffed)
        Fuzzing.overwrite(moduleFile, with: bytes)
        let reader = ScratchImageReader()
        var first: [UInt8]?
        for round in 0..<2 {
            do {
                let image = try reader.withModuleImage(at: moduleFile) { image, format in
                    Fuzzing.require(format == sniffed, "the reader took a \(sniffed) file for \(format)")
                    return Array(image)
                }
                if let whole { Fuzzing.require(image == whole, "\(sniffed): the module reader gives other bytes than decompress") }
                if round == 1, let first { Fuzzing.require(image == first, "\(sniffed): a reused reader gives other bytes") }
                first = image
            } catch {
                _ = error.description
                Fuzzing.require(round == 0 || first == nil, "\(sniffed): a reused reader fails (\(error)) where a new one succeeded")
            }
        }
    }
    return 0
}
