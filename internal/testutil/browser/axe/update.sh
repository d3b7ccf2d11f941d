#!/bin/sh
# Vendors axe-core from the npm registry into this directory:
#
#	./update.sh 4.14.1
#
# Only axe.min.js, which the browser tests inject into the pages they
# check (browser.Accessible), is kept, with its license. Review the diff,
# run the browser tests (go test -run Browser ./cmd/invited), and commit.
set -eu

version=${1:?usage: $0 VERSION (npm view axe-core version)}
dir=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

(cd "$tmp" && npm pack --silent "axe-core@$version" >/dev/null)
tar -xzf "$tmp/axe-core-$version.tgz" -C "$tmp"
for f in LICENSE axe.min.js; do
	cp "$tmp/package/$f" "$dir/$f"
done
echo "$version" >"$dir/VERSION"
