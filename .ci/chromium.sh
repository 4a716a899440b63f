#!/usr/bin/env bash
# The browser test (tests/ui/test_browser.py) drives Debian's headless chromium.
set -euo pipefail
if ! command -v chromium >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium >/dev/null
fi
chromium --version
