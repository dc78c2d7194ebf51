#!/bin/bash
# kmodmgr's dracut module (/usr/lib/dracut/modules.d/50kmodmgr): adds the modules kmodmgr installed for the kernel
# being packed that belong in its initramfs — every module of a boot-critical package (REMAKE_INITRD=yes, or
# initramfs_packages in kmodmgr.conf) and every module replacing one of the kernel's own — with their dependencies.

check() {
    require_binaries kmodmgr || return 1
    return 0
}

depends() {
    return 0
}

installkernel() {
    local modules
    modules=$(kmodmgr initramfs --list -k "$kernel" </dev/null) || {
        dwarn "kmodmgr: cannot list kmodmgr's boot-critical modules for $kernel; the initramfs is built without them"
        return 0
    }
    # shellcheck disable=SC2086 # one module name per word
    [[ -z $modules ]] || hostonly='' instmods $modules
}
