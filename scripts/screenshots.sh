#!/usr/bin/env bash
# Refreshes docs/screenshots/*.png: runs the real-browser tests (browser.rs, accessibility.rs) with
# PASSKEYS_SCREENSHOTS=1, so each test saves the screens it visits. Needs Chromium and
# chromedriver (Debian: apt-get install -y chromium chromium-driver); fails without them.
#
#   scripts/screenshots.sh            # extra arguments go to `cargo test`
set -euo pipefail
cd "$(dirname "$0")/.."

PASSKEYS_SCREENSHOTS=1 PASSKEYS_BROWSER_TESTS=require cargo test --test browser --test accessibility "$@"
ls -l docs/screenshots/*.png
