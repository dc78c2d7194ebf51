#!/usr/bin/env python3
"""Flips one byte of the CRC of the first entry of a kernel module's __versions section, in place.

Used by stages/vm/prepare for the bad-crc scenario: the kernel then refuses the module with "disagrees about
version of symbol NAME" and kmodmgr verify must predict that. Stdlib only; ELF64 little-endian (x86_64) only.
__versions entries are 64 bytes: a u64 CRC, then the symbol name in 56 NUL-padded bytes.
Prints the symbol whose CRC changed and the old and new CRC.
"""
import struct
import sys


def main(path):
    with open(path, "r+b") as f:
        data = bytearray(f.read())
        if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
            sys.exit(f"{path}: not a little-endian ELF64 file")
        shoff, = struct.unpack_from("<Q", data, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)

        def section(index):
            # sh_name, sh_type, sh_flags, sh_addr, sh_offset, sh_size
            name, _, _, _, offset, size = struct.unpack_from("<IIQQQQ", data, shoff + index * shentsize)
            return name, offset, size

        _, strtab, _ = section(shstrndx)
        for index in range(shnum):
            name, offset, size = section(index)
            end = data.index(b"\0", strtab + name)
            if data[strtab + name:end] == b"__versions":
                if size < 64:
                    sys.exit(f"{path}: __versions is empty")
                old, = struct.unpack_from("<Q", data, offset)
                data[offset] ^= 0xFF  # lowest byte of the little-endian CRC
                new, = struct.unpack_from("<Q", data, offset)
                symbol = bytes(data[offset + 8:offset + 64]).split(b"\0")[0].decode()
                f.seek(0)
                f.write(data)
                print(f"{symbol} {old:#010x} -> {new:#010x}")
                return
        sys.exit(f"{path}: no __versions section")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: alter-crc.py MODULE.ko")
    main(sys.argv[1])
