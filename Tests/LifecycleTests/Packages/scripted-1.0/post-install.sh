#!/bin/sh
echo "post-install: $kernelver"
