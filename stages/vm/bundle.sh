# Sourced by the VM stages (stages/vm/run, stages/vm/signing/*): puts a dynamically linked program into a guest's
# file tree with what it needs to run there.
# bundle STAGE BINARY DEST: BINARY at STAGE/DEST, and each library ldd lists (and the dynamic loader) at its own
# path under STAGE. A library ldd cannot find is an error.
bundle() {
    local stage=$1 binary=$2 dest=$3 line library
    install -D -m 755 "$binary" "$stage$dest"
    if ldd "$binary" | grep -q 'not found'; then
        echo "bundle: $binary: a library is missing: $(ldd "$binary" | grep 'not found')" >&2
        return 1
    fi
    while read -r line; do
        case "$line" in
        *"=> /"*) library=${line#*=> } ;;
        /*) library=$line ;;
        *) continue ;;
        esac
        library=${library%% (*}
        [ -e "$stage$library" ] || install -D -m 755 "$(readlink -f "$library")" "$stage$library"
    done < <(ldd "$binary")
}
