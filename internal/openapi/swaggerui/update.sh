#!/bin/sh
# Vendors swagger-ui-dist from the npm registry into this directory:
#
#	./update.sh 5.35.0
#
# Only the files /docs serves are kept, with the licenses. Review the diff,
# run the browser test (go test -run BrowserDocs ./cmd/invited), and commit.
set -eu

version=${1:?usage: $0 VERSION (npm view swagger-ui-dist version)}
dir=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

(cd "$tmp" && npm pack --silent "swagger-ui-dist@$version" >/dev/null)
tar -xzf "$tmp/swagger-ui-dist-$version.tgz" -C "$tmp"
for f in LICENSE NOTICE swagger-ui-bundle.js swagger-ui-bundle.js.LICENSE.txt \
	swagger-ui.css; do
	cp "$tmp/package/$f" "$dir/$f"
done
echo "$version" >"$dir/VERSION"
