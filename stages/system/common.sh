# Shared by the system stages (sourced, not run): messages, the package list, the kernel ABI to install, the
# packages to test.
# shellcheck shell=bash

step() { echo "system: == $* ==" >&2; }
check() { echo "system: ok: $*" >&2; }
fail() {
    echo "system: FAILED: $*" >&2
    exit 1
}

installed_packages() { dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' | awk '$1 == "ii" {print $2}' | sort; }

# new_kernel_abi PACKAGES_BEFORE: the newest kernel ABI in the archive with neither image nor headers installed
# (found with apt-cache: Debian's ABIs move on), or fails.
new_kernel_abi() {
    local candidate
    for candidate in $(apt-cache search --names-only '^linux-image-[0-9.]+-[0-9]+-amd64-unsigned$' | awk '{print $1}' \
        | sed -e 's/^linux-image-//' -e 's/-unsigned$//' | sort -V -r); do
        if ! grep -qx -e "linux-image-$candidate-unsigned" -e "linux-image-$candidate" -e "linux-headers-$candidate" "$1" \
            && [ ! -e "/lib/modules/$candidate" ]; then
            echo "$candidate"
            return 0
        fi
    done
    fail "no linux-image-*-amd64-unsigned in the archive whose image and headers are both absent here"
}

# build_packages REPOSITORY OUTDIR: the release build and both .debs, lintian-checked; prints their paths (kmodmgr's
# first, then kmodmgr-dkms's).
build_packages() {
    swift build -c release --static-swift-stdlib --product kmodmgr --scratch-path "$1/.build-package" >&2
    local debs deb
    debs=$(KMODMGR_BINARY="$1/.build-package/release/kmodmgr" "$1/packaging/build-deb" "$2")
    for deb in $debs; do
        lintian --fail-on error "$deb" >&2 || fail "lintian finds errors in $(basename "$deb")"
    done
    check "lintian: no errors in $(echo "$debs" | xargs -n1 basename | tr '\n' ' ')"
    echo "$debs"
}
