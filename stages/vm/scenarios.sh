#!/bin/sh
# The VM stage's scenarios, run by /init inside a real Debian kernel (busybox sh). Each one asks kmodmgr for its
# verdict BEFORE loading (verify: exit 0 = the kernel will accept the module, 1 = it will refuse), then loads and
# looks at what the kernel really did (/sys/module/NAME/initstate, dmesg): the kernel is the truth.
# Prints, over the serial console, "PASS name" or "FAIL name: why" per scenario with indented details (verify's
# and the loader's answers, the kernel's dmesg lines), then "N passed, M failed". stages/vm/run counts the
# `scenario` lines below to know how many results to expect: one scenario per line, in the main part.
. /vm/config
limit=60 # seconds any one command may take
passed=0
failed=0

# call COMMAND…: runs it with a time limit; its output (stdout and stderr) in $out, its status in $rc.
call() {
    out=$(timeout "$limit" "$@" 2>&1)
    rc=$?
}
detail() { # LABEL TEXT: indented lines under the scenario (at most 4 lines of TEXT)
    printf '%s\n' "$2" | head -n 4 | sed -e "s|^|  $1: |"
}
problem() { problems="$problems${problems:+; }$*"; }

verify_file() { # FILE: $verdict = load | refuse | error
    call kmodmgr verify --file "$1" -k "$KVER"
    case "$rc" in
    0) verdict=load ;;
    1) verdict=refuse ;;
    *) verdict=error ;;
    esac
    detail verify "exit $rc${out:+: $out}"
}
load_name() {
    call kmodmgr load "$1"
    detail load "exit $rc${out:+: $out}"
}
# The file is offered to the kernel whatever verify said (--force): the kernel's answer is what the verdict is
# judged against.
load_file() {
    call kmodmgr load --force --file "$1"
    detail load "exit $rc${out:+: $out}"
}
unload() { # NAME, then checks that it is gone
    call kmodmgr unload "$1"
    [ "$rc" -eq 0 ] || problem "unload $1 exited $rc: $out"
    [ ! -e "/sys/module/$1" ] || problem "/sys/module/$1 is still there after unload"
}
initstate() { cat "/sys/module/$1/initstate" 2>/dev/null || echo absent; }

begin() { # NAME: starts a scenario with a clean kernel log and without NAME's module loaded
    name=$1
    problems=""
    echo "--- $name"
    dmesg -c >/dev/null
}
# kernel_outcome MODULE LOADER_STATUS: $kernel = loaded | refused, from the kernel's own state; prints dmesg.
kernel_outcome() {
    if [ "$(initstate "$1")" = live ]; then kernel=loaded; else kernel=refused; fi
    if [ "$kernel" = loaded ]; then
        detail kernel "loaded (initstate live, taint '$(cat "/sys/module/$1/taint" 2>/dev/null)')"
    else
        detail kernel "refused (initstate $(initstate "$1"))"
    fi
    detail dmesg "$(dmesg | grep -v -e '^$' | tail -n 4)"
    if [ "$kernel" = loaded ] && [ "$2" -ne 0 ]; then problem "the loader exited $2 but the module is live"; fi
    if [ "$kernel" = refused ] && [ "$2" -eq 0 ]; then problem "the loader exited 0 but the module is not live"; fi
}
judge() { # EXPECTED (load | refuse | either): compares the kernel with the expectation and with verify
    case "$1:$kernel" in
    load:refused) problem "the kernel refused it; expected it to load" ;;
    refuse:loaded) problem "the kernel loaded it; expected a refusal" ;;
    esac
    case "$verdict:$kernel" in
    load:loaded | refuse:refused) ;;
    *) problem "verify said '$verdict', the kernel $kernel it" ;;
    esac
}
finish() {
    if [ -z "$problems" ]; then
        passed=$((passed + 1))
        echo "PASS $name"
    else
        failed=$((failed + 1))
        echo "FAIL $name: $problems"
    fi
}
scenario() { "$@"; } # marks the scenario lines that stages/vm/run counts
ensure_absent() { [ ! -e "/sys/module/$1" ] || { rmmod "$1" 2>/dev/null || rmmod -f "$1"; }; }

# A module installed in the indexed tree, loaded by name (dependencies come from kmodmgr's modules.dep).
hello() {
    begin hello
    verify_file "$HELLO"
    load_name kmm_hello
    kernel_outcome kmm_hello "$rc"
    judge load
    [ "$kernel" = loaded ] && unload kmm_hello
    finish
}
v4l2loopback() {
    begin v4l2loopback
    verify_file "$V4L2LOOPBACK"
    load_name v4l2loopback
    kernel_outcome v4l2loopback "$rc"
    judge load
    if [ "$kernel" = loaded ]; then
        [ "$(initstate videodev)" = live ] || problem "videodev was not loaded with it"
        devices=$(echo $(ls /dev/video* 2>/dev/null))
        detail devices "${devices:-none}"
        [ -n "$devices" ] || problem "no /dev/video* appeared"
        unload v4l2loopback
    fi
    for module in videodev mc; do [ ! -e "/sys/module/$module" ] || rmmod "$module" 2>/dev/null; done
    finish
}
# A module file outside the index: NAME MODULE EXPECTED; the file is the only one in /vm/files/NAME/.
from_file() {
    begin "$1"
    ensure_absent "$2"
    file=$(ls /vm/files/"$1"/* | head -n 1)
    detail file "$file, vermagic: $(kmodmgr modinfo -F vermagic "$file" 2>&1 | head -n 1)"
    verify_file "$file"
    load_file "$file"
    kernel_outcome "$2" "$rc"
    judge "$3"
    [ "$kernel" = loaded ] && unload "$2"
    finish
}

# The same installed module in a root with no headers at all: verify and load by name through that root's index;
# the running kernel's /proc/kallsyms tells vmlinux's exports, modules.symbols the in-tree modules' (videodev).
headerless() {
    begin headerless
    ensure_absent v4l2loopback
    call kmodmgr verify --root /vm/headerless --file "/vm/headerless$V4L2LOOPBACK" -k "$KVER"
    case "$rc" in 0) verdict=load ;; 1) verdict=refuse ;; *) verdict=error ;; esac
    detail verify "exit $rc${out:+: $out}"
    call kmodmgr load --root /vm/headerless v4l2loopback
    detail load "exit $rc${out:+: $out}"
    kernel_outcome v4l2loopback "$rc"
    judge load
    [ "$kernel" = loaded ] && unload v4l2loopback
    for module in videodev mc; do [ ! -e "/sys/module/$module" ] || rmmod "$module" 2>/dev/null; done
    finish
}

# A module made by headers that produce another release, judged in a root that knows the kernel by headers alone
# (which say that other release): the kernel compares the whole vermagic with its own, so must the check.
other_release_headers() {
    begin other-release-headers
    ensure_absent kmm_hello
    file=/vm/files/other-release/kmm_hello.ko
    detail file "$file, vermagic: $(kmodmgr modinfo -F vermagic "$file" 2>&1 | head -n 1)"
    call kmodmgr verify --root /vm/other-release-headers --file "$file" -k "$KVER"
    case "$rc" in 0) verdict=load ;; 1) verdict=refuse ;; *) verdict=error ;; esac
    detail verify "exit $rc${out:+: $out}"
    load_file "$file"
    kernel_outcome kmm_hello "$rc"
    judge refuse
    [ "$kernel" = loaded ] && unload kmm_hello
    finish
}

echo "=== kmodmgr VM scenarios: kernel $(uname -r), $(kmodmgr --version 2>&1)"
dmesg -n 1 # kernel messages stay in the log buffer (shown per scenario) instead of interleaving on the console

scenario hello
scenario v4l2loopback
scenario from_file xz kmm_hello load
scenario from_file zst kmm_hello load
scenario from_file other-abi kmm_hello load
scenario from_file bad-crc kmm_hello refuse
scenario from_file no-versions kmm_hello either
scenario from_file empty-versions kmm_hello refuse
scenario from_file unknown-symbol kmm_unknown refuse
scenario from_file other-arch kmm_hello refuse
scenario headerless
scenario other_release_headers

echo "$passed passed, $failed failed"
