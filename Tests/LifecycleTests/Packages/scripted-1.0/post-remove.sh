#!/bin/sh
echo "post-remove: $kernelver"
if touch /etc/kmodmgr-post-remove-escaped 2>/dev/null; then echo "wrote /etc"; else echo "/etc is read-only"; fi
