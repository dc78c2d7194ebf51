/// Reads the entries of newc archives (see `CpioHeader.swift`) from bytes that arrive in chunks of any size: a
/// decompressor's output buffers, or a whole mapped file as one chunk.
///
/// Only headers and names are collected; file data is skipped by its size and never copied, so a 130 MB
/// decompressed image costs no more than its decompression. Between entries NUL padding is skipped, as the kernel
/// skips it, and several archives may follow one another.
struct CpioStream {
    /// Why the bytes are not well-formed archives, at which offset of the stream.
    struct Defect: Error, Equatable {
        let offset: Int
        /// Whether the data ends too early (as opposed to being garbled).
        let isTruncation: Bool
        let detail: String
    }

    private enum State {
        case betweenEntries
        case header
        case name(CpioHeader)
        case skipping(remaining: Int)
    }

    /// The offset of the next byte, in the coordinates headers are aligned in.
    private(set) var offset: Int
    private var state = State.betweenEntries
    /// The header, then the name, of the entry being read, while they arrive.
    private var collected: [UInt8] = []
    private var entryStart = 0
    /// Whether an archive has begun and its `TRAILER!!!` entry has not been read yet.
    private(set) var isInsideArchive = false

    /// A stream whose first byte is at `offset` (the file offset for plain data, 0 for decompressed data).
    init(startingAt offset: Int) {
        self.offset = offset
        collected.reserveCapacity(CpioHeader.size)
    }

    /// Reads `chunk`, appending the entries it completes to `entries`, and returns how many bytes it read: all of
    /// them, or fewer when, between entries, it meets a byte that starts neither an entry nor padding. The caller
    /// decides whether that byte starts the next segment of an image or is junk.
    mutating func read(_ chunk: UnsafeRawBufferPointer, into entries: inout [CpioEntry]) throws(Defect) -> Int {
        var index = 0
        while index < chunk.count {
            switch state {
            case .betweenEntries:
                let byte = chunk[index]
                if byte == 0 {
                    index += 1
                    offset += 1
                    continue
                }
                // An entry starts with '0' at a multiple of 4; anything else is not ours to read.
                guard byte == UInt8(ascii: "0"), offset & 3 == 0 else { return index }
                entryStart = offset
                isInsideArchive = true
                collected.removeAll(keepingCapacity: true)
                state = .header
            case .header:
                index += collect(chunk, from: index, upTo: CpioHeader.size)
                guard collected.count == CpioHeader.size else { continue }
                let header: CpioHeader
                do { header = try CpioHeader(collected) } catch {
                    throw Defect(offset: entryStart, isTruncation: false, detail: Self.describe(error))
                }
                collected.removeAll(keepingCapacity: true)
                state = .name(header)
            case .name(let header):
                index += collect(chunk, from: index, upTo: header.nameSize)
                guard collected.count == header.nameSize else { continue }
                try finishEntry(header, into: &entries)
            case .skipping(let remaining):
                let count = min(remaining, chunk.count - index)
                index += count
                offset += count
                state = count == remaining ? .betweenEntries : .skipping(remaining: remaining - count)
            }
        }
        return index
    }

    /// Throws unless the stream may end here: between entries, and not inside an archive whose trailer is missing.
    func checkEnd() throws(Defect) {
        let part: String
        switch state {
        case .betweenEntries:
            guard isInsideArchive else { return }
            throw Defect(offset: offset, isTruncation: true, detail: "the data ends before the archive's TRAILER!!! entry")
        case .header: part = "header"
        case .name: part = "name"
        case .skipping: part = "data"
        }
        throw Defect(offset: offset, isTruncation: true, detail: "the data ends inside the \(part) of the entry at byte \(entryStart)")
    }

    /// Appends bytes of `chunk` from `start` to `collected` until it holds `size`; returns how many it took.
    private mutating func collect(_ chunk: UnsafeRawBufferPointer, from start: Int, upTo size: Int) -> Int {
        let count = min(size - collected.count, chunk.count - start)
        collected.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[start..<(start + count)]))
        offset += count
        return count
    }

    /// Records the entry whose name is now in `collected`, and skips its padding and data.
    private mutating func finishEntry(_ header: CpioHeader, into entries: inout [CpioEntry]) throws(Defect) {
        guard collected.last == 0 else {
            throw Defect(offset: entryStart, isTruncation: false, detail: "the entry's name is not NUL-terminated")
        }
        let name = String(decoding: collected.prefix { $0 != 0 }, as: UTF8.self)
        if name == "TRAILER!!!" {
            isInsideArchive = false
        } else {
            entries.append(CpioEntry(name: name, mode: header.mode))
        }
        let dataStart = Self.aligned(entryStart + CpioHeader.size + header.nameSize)
        let next = Self.aligned(dataStart + header.fileSize)
        state = next == offset ? .betweenEntries : .skipping(remaining: next - offset)
    }

    private static func aligned(_ offset: Int) -> Int { (offset + 3) & ~3 }

    private static func describe(_ problem: CpioHeader.Problem) -> String {
        switch problem {
        case .noMagic: "no cpio magic (070701) at the start of an entry"
        case .oldPortableFormat: "an old portable (odc) cpio header, which the kernel does not read: use newc"
        case .badDigit(let field): "the header's \(field) is not 8 hex digits"
        case .badNameSize(let size): "the header's name size \(size) is not between 1 and \(CpioHeader.maximumNameSize)"
        }
    }
}
