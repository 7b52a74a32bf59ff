#!/usr/bin/env bash
# Prints the Velociraptor artifact (docs/velociraptor/Custom.Windows.EventLogs.WmiHunt.yaml)
# with its tool entry set for the wmihunt.exe you deploy: expected_hash is the binary's
# SHA-256 and, when URL is given, url is where the server downloads it from.
#
#   scripts/velociraptor-artifact.sh wmihunt.exe [URL] > Custom.Windows.EventLogs.WmiHunt.yaml
set -euo pipefail
if [ $# -lt 1 ] || [ $# -gt 2 ] || [ ! -f "$1" ]; then
    echo "usage: $0 BINARY [URL]" >&2
    exit 2
fi
artifact="$(dirname "$0")/../docs/velociraptor/Custom.Windows.EventLogs.WmiHunt.yaml"
hash="$(sha256sum "$1" | cut -d' ' -f1)"
url="${2:-}"
case "$url" in
    *[[:space:]\'\"]*) echo "$0: the URL may not contain spaces or quotes" >&2; exit 2 ;;
esac
sed -e "s|^    expected_hash: .*|    expected_hash: $hash|" \
    -e "s|^    url:.*|    url: $url|" "$artifact"
