#!/bin/sh
# /var/tmp is world-writable: only the sandbox (everything read-only but the source directory) stops the write.
echo "post-remove: $kernelver"
if touch "/var/tmp/kmodmgr-post-remove-$module-$$" 2>/dev/null; then echo "wrote /var/tmp"; else echo "/var/tmp is read-only"; fi
