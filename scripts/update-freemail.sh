#!/bin/sh
# Vendors the domain lists of internal/freemail from the npm registry:
#
#	scripts/update-freemail.sh FREE_VERSION DISPOSABLE_VERSION
#
# FREE_VERSION is that of free-email-domains (npm view free-email-domains
# version), DISPOSABLE_VERSION that of disposable-email-domains-js. Writes
# internal/freemail/data/{free,disposable}.txt, one domain per line, and
# the packages' licenses beside them. Then update the versions in
# internal/freemail/data/README.md, review the diff, run
# go test ./internal/freemail, and commit.
set -eu

free=${1:?usage: $0 FREE_VERSION DISPOSABLE_VERSION}
disposable=${2:?usage: $0 FREE_VERSION DISPOSABLE_VERSION}
data=$(cd "$(dirname "$0")/../internal/freemail/data" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# npm pack checks each tarball against the registry's integrity hash, and
# runs none of the packages' scripts.
(cd "$tmp" && npm pack --silent "free-email-domains@$free" "disposable-email-domains-js@$disposable" >/dev/null)
mkdir "$tmp/free" "$tmp/disposable"
tar -xzf "$tmp/free-email-domains-$free.tgz" -C "$tmp/free"
tar -xzf "$tmp/disposable-email-domains-js-$disposable.tgz" -C "$tmp/disposable"

# lines prints the JSON array of domains in $1 one a line, lower-case,
# without duplicates, sorted bytewise (as Go compares strings).
lines() {
	node -e 'for (const d of require(process.argv[1])) console.log(d.trim().toLowerCase())' "$1" |
		LC_ALL=C sort -u
}
lines "$tmp/disposable/package/dist/dict/disposable_email_blocklist.json" >"$data/disposable.txt"
# free-email-domains includes the disposable list; free.txt keeps the rest.
lines "$tmp/free/package/domains.json" | LC_ALL=C comm -23 - "$data/disposable.txt" >"$data/free.txt"
install -m 644 "$tmp/free/package/LICENSE.md" "$data/LICENSE.free-email-domains.md"
install -m 644 "$tmp/disposable/package/LICENSE" "$data/LICENSE.disposable-email-domains-js"
wc -l "$data/free.txt" "$data/disposable.txt"
