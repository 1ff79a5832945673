#!/bin/sh
# Make sure Graphviz's `dot` is on PATH. Installs it with apt-get when we are root on a
# Debian/Ubuntu machine; otherwise says how, and carries on (tests that need `dot` then skip).
if command -v dot >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Graphviz 'dot' not found: installing it with apt-get ..."
    if { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz; } >/dev/null 2>&1; then
        echo "Graphviz installed: $(dot -V 2>&1)"
        exit 0
    fi
    echo "apt-get could not install graphviz."
fi
echo "NOTE: Graphviz's 'dot' program is missing, so images cannot be rendered (.dot files still can)."
echo "      Install it with:  sudo apt-get install graphviz   (macOS: brew install graphviz)"
echo "      Carrying on: the tests that need 'dot' will be skipped and say so."
exit 0
