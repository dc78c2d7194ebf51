#!/bin/sh
echo "pre-install: $module $module_version $kernelver $arch, uid $(id -u), in $PWD"
[ ! -e fail-pre-install ]
