#!/usr/bin/env bash
# Renders DIR/report.html to a PNG with headless Chromium, to look at the report as a reader
# would (the page needs no network; Chromium is told not to use one either).
#
#   scripts/render-report.sh DIR [OUT.png]     (default OUT: DIR-report.png, beside DIR: reesim
#                                              refuses to replace a directory holding files it
#                                              did not write)
#
# Installs the Debian package `chromium` with apt-get when it is missing (as root). Env:
# WIDTH (default 1400) and HEIGHT (default 12000) set the window; the page must fit in it (what
# is below is cut off, the blank rest compresses to little).
set -euo pipefail

dir=${1:?usage: scripts/render-report.sh DIR [OUT.png]}
dir=${dir%/}
out=${2:-$dir-report.png}
page=$dir/report.html
[ -f "$page" ] || { echo "error: $page not found; write it with \`reesim report $dir\`" >&2; exit 2; }

browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing chromium (Debian package)..." >&2
        apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
        browser=$(command -v chromium)
    else
        echo "error: chromium not found; install the Debian package \`chromium\`" >&2
        exit 1
    fi
fi

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
abs_page=$(cd "$(dirname "$page")" && pwd)/$(basename "$page")
abs_out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
rm -f "$abs_out"
"$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --hide-scrollbars --user-data-dir="$profile" \
    --window-size="${WIDTH:-1400},${HEIGHT:-12000}" --screenshot="$abs_out" \
    "file://$abs_page" >/dev/null 2>&1 || true
[ -s "$abs_out" ] || { echo "error: chromium wrote no screenshot" >&2; exit 1; }
echo "$abs_out"
