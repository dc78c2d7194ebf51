#!/bin/sh
echo "post-add ran as uid $(id -u) in $PWD"
