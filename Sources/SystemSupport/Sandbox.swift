import SystemPackage

/// What a build step may touch, when kmodmgr runs as root: the step runs in its own PID and mount namespaces
/// (util-linux `unshare`), where a small root shell, before dropping to the build user, mounts a private `/tmp`
/// (tmpfs), re-mounts the whole tree read-only except `writableDirectory` (the build's own copy of the source),
/// runs the step, lists on its output whatever the step left running, and exits — which ends every process of the
/// namespace with it. So a build cannot write outside its directory (`/tmp` and `/var/tmp` included), cannot leave
/// a process behind (`sleep 300 &` in a Makefile), and the log says what was ended. Where namespaces cannot be
/// made (a container without the right), the step runs without them and the log says so.
///
/// The step also ends when kmodmgr does: the namespace's shell gets, as its stdin, the read end of a pipe whose
/// only writer is kmodmgr (`ProcessRunner`), and a watcher in the namespace ends every process there when that
/// pipe reaches end of file — which is when kmodmgr exits or is killed (`kill -9` during a build under an apt
/// hook). The step itself reads `/dev/null`, never the pipe.
public struct Sandbox: Sendable, Hashable {
    /// The one directory the step may write (besides its private `/tmp`); nil: none (a dkms.conf evaluation).
    public let writableDirectory: FilePath?
    /// A directory the step reads that must stay visible (the kernel headers): it decides where the private
    /// temporary directory can go.
    public let readDirectory: FilePath

    /// Whether the step gets a private `/tmp` (a build's scratch space); without one `/tmp` is read-only like the
    /// rest, and stays the system's for reading (a dkms.conf evaluation reads headers wherever they are).
    public let privateTemporaryDirectory: Bool

    public init(writableDirectory: FilePath?, readDirectory: FilePath, privateTemporaryDirectory: Bool = true) {
        self.writableDirectory = writableDirectory
        self.readDirectory = readDirectory
        self.privateTemporaryDirectory = privateTemporaryDirectory
    }

    static let unshareProgram: FilePath = "/usr/bin/unshare"

    /// `unshare`'s arguments up to the step's own argv (which follows): new PID namespace whose init is the shell
    /// (`--fork`; `--kill-child` ends it if `unshare` itself is killed, by the time limit), new mount namespace with
    /// private propagation and its own `/proc`.
    func arguments() -> [String] {
        [
            "--pid", "--fork", "--kill-child", "--mount", "--propagation", "private", "--mount-proc", "--", "/bin/sh", "-c",
            Self.script, "kmodmgr-sandbox", writableDirectory?.string ?? "", readDirectory.string,
            privateTemporaryDirectory ? "private-tmp" : "shared-tmp",
        ]
    }

    /// Runs as root, PID 1 of the namespace: `$1` is the writable directory (empty: none), `$2` a path the step
    /// must still see (the kernel headers), `$3` whether `/tmp` is private, the rest the step's argv. A tmpfs on `/tmp` would hide a build or
    /// headers that live under `/tmp` (a test root, a `--root` there): then `/tmp` stays, read-only, and `TMPDIR`
    /// points into the build directory instead. Messages go to stderr: a captured stdout is the step's alone.
    static let script = #"""
        dir=$1
        seen=$2
        tmp=$3
        shift 3
        fail() { echo "## sandbox: $1; the step runs without it" >&2; }
        watcher=none
        if [ "$$" = 1 ]; then
            exec 3<&0
            (read -r _ <&3 || { echo "## kmodmgr ended: every process of the step is ended with it" >&2; kill -KILL -1; }) &
            watcher=$!
            exec 3<&-
        fi
        mount --rbind / / && { [ -z "$dir" ] || mount --bind "$dir" "$dir"; } && mount -o remount,bind,ro / \
            || fail "no read-only view (mount failed)"
        case "$tmp:$dir/:$seen/" in
        shared-tmp:*) ;;
        *:/tmp/* | *:*:/tmp/*)
            [ -z "$dir" ] || { mkdir -p "$dir/.tmp" && chmod 1777 "$dir/.tmp" && export TMPDIR="$dir/.tmp"; } ;;
        *) mount -t tmpfs -o mode=1777,size=2g tmpfs /tmp || fail "no private /tmp (mount failed)" ;;
        esac
        cd "$(pwd -P)" && unset OLDPWD || fail "cannot enter the working directory again"
        "$@" </dev/null &
        wait $!
        status=$?
        left=""
        for entry in /proc/[0-9]*; do
            pid=${entry#/proc/}
            [ "$pid" = 1 ] || [ "$pid" = "$watcher" ] && continue
            args=$(tr '\0' ' ' <"$entry/cmdline" 2>/dev/null)
            [ -n "$args" ] && left="$left
          pid $pid: $args"
        done
        [ -n "$left" ] && printf '\n## left running by the step, ended with it:%s\n' "$left" >&2
        exit $status
        """#
}
