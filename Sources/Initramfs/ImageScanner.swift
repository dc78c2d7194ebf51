import Codecs

// An initramfs image, as the kernel's `unpack_to_rootfs` reads it, is a sequence of segments:
//
//   - plain newc archives (see `CpioHeader.swift`), recognised by a '0' at a multiple of 4 in the file — typically
//     the early archive with CPU microcode (`kernel/x86/microcode/…`) that the kernel reads before anything else;
//   - NUL padding, skipped;
//   - compressed data (gzip, xz, zstd; also lz4, lzma, bzip2, lzo, which kmodmgr does not decode), recognised by
//     its magic (`SegmentFormat`), whose decompressed output is again newc archives — typically everything else.
//
// Debian's initramfs-tools writes an optional early archive then one zstd frame (the default since bookworm);
// dracut and mkinitcpio do the same with their own defaults. Compressed streams of one format that follow each other
// (gzip members, xz streams with their padding, zstd frames — pigz or pzstd may split one archive over several) are
// read as one run whose output continues from one stream to the next, as `gzip -dc` or `zstd -dc` would read them.
// Every run and every plain stretch must end between archives: after a `TRAILER!!!` entry and its padding.

/// Reads the entries of every archive of an image held in memory.
enum ImageScanner {
    /// The entries of `image`, in the order the kernel would unpack them.
    static func entries(of image: UnsafeRawBufferPointer) throws(InitramfsError.Reason) -> [CpioEntry] {
        var entries = [CpioEntry]()
        var position = 0
        var archiveSeen = false
        while position < image.count {
            let rest = UnsafeRawBufferPointer(rebasing: image[position...])
            if rest[0] == 0 {
                position += 1
                continue
            }
            if rest[0] == UInt8(ascii: "0") && position & 3 == 0 {
                position += try readPlain(rest, at: position, into: &entries)
                archiveSeen = true
                continue
            }
            switch SegmentFormat.sniff(rest) {
            case .supported(let format):
                position = try readCompressedRun(image, format: format, at: position, into: &entries)
                archiveSeen = true
            case .unsupported(let name):
                throw .unsupportedCompression(format: name, offset: position)
            case nil:
                let start = rest.prefix(4).map { $0 < 16 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined(separator: " ")
                throw .malformed(at: .file(position), detail: "neither a cpio archive nor compressed data (bytes \(start))")
            }
        }
        guard archiveSeen else { throw .malformed(at: .file(0), detail: "the image holds no cpio archive") }
        return entries
    }

    /// Reads the plain archives at the start of `bytes` (file offset `offset`); returns how many bytes they take.
    private static func readPlain(
        _ bytes: UnsafeRawBufferPointer, at offset: Int, into entries: inout [CpioEntry]
    ) throws(InitramfsError.Reason) -> Int {
        var cpio = CpioStream(startingAt: offset)
        do {
            let used = try cpio.read(bytes, into: &entries)
            try cpio.checkEnd()
            return used
        } catch {
            throw reason(error) { .file($0) }
        }
    }

    /// Reads the run of `format` streams at file offset `start` of `image`; returns the offset just past it.
    private static func readCompressedRun(
        _ image: UnsafeRawBufferPointer, format: CompressionFormat, at start: Int, into entries: inout [CpioEntry]
    ) throws(InitramfsError.Reason) -> Int {
        var cpio = CpioStream(startingAt: 0)
        var defect: CpioStream.Defect?
        var position = start
        while true {
            let stream = UnsafeRawBufferPointer(rebasing: image[position...])
            let consumed: Int?
            do throws(CodecError) {
                consumed = try Codec.decompressLeadingStream(stream, from: format) { chunk in
                    do throws(CpioStream.Defect) {
                        let used = try cpio.read(chunk, into: &entries)
                        guard used == chunk.count else {
                            defect = CpioStream.Defect(
                                offset: cpio.offset, isTruncation: false, detail: "junk between archives in the compressed data")
                            return false
                        }
                        return true
                    } catch {
                        defect = error
                        return false
                    }
                }
            } catch {
                throw .undecodable(offset: position, error)
            }
            guard let consumed else { break }
            position += consumed
            // Padding may separate streams (xz's stream padding, or a generator's block size).
            var next = position
            while next < image.count && image[next] == 0 { next += 1 }
            guard next < image.count, SegmentFormat.sniff(UnsafeRawBufferPointer(rebasing: image[next...])) == .supported(format)
            else { break }
            position = next
        }
        do throws(CpioStream.Defect) {
            if let defect { throw defect }
            try cpio.checkEnd()
        } catch {
            throw reason(error) { .decompressed($0, of: format, at: start) }
        }
        return position
    }

    /// The image-level reason for `defect`, whose offset `place` turns into a position in the image.
    private static func reason(
        _ defect: CpioStream.Defect, _ place: (Int) -> InitramfsPosition
    ) -> InitramfsError.Reason {
        defect.isTruncation
            ? .truncated(at: place(defect.offset), detail: defect.detail)
            : .malformed(at: place(defect.offset), detail: defect.detail)
    }
}
