#!/usr/bin/env bash
# Builds the container image of invited the way releases are built: a
# static binary on the host, then the Dockerfile FROM scratch around it.
#
#   scripts/build-image.sh [TAG]        default TAG: invited:$VERSION
#
# Environment:
#   VERSION   image and binary version (default: git describe, else dev)
#   COMMIT    commit recorded in the binary and the labels (default: HEAD)
#   ENGINE    podman or docker (default: podman if installed, else docker)
#   GOARCH    target architecture (default: Go's, normally the host's)
#   CA_BUNDLE the CA certificates to put in the image (default: Debian's
#             /etc/ssl/certs/ca-certificates.crt; Fedora's is
#             /etc/pki/tls/certs/ca-bundle.crt)
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
COMMIT=${COMMIT:-$(git rev-parse HEAD 2>/dev/null || true)}
TAG=${1:-invited:$VERSION}
if [ -z "${ENGINE:-}" ]; then
	if command -v podman >/dev/null; then ENGINE=podman; else ENGINE=docker; fi
fi
CA_BUNDLE=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
[ -r "$CA_BUNDLE" ] || { echo "build-image: no CA bundle at $CA_BUNDLE (apt-get install ca-certificates, or set CA_BUNDLE)" >&2; exit 1; }

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
# GOOS=linux: the image is Linux's whatever the host (macOS with docker).
GOOS=linux CGO_ENABLED=0 go build -trimpath \
	-ldflags "-s -w -X github.com/invitedhq/invited.Version=$VERSION -X github.com/invitedhq/invited.Commit=$COMMIT" \
	-o "$ctx/invited" ./cmd/invited
cp "$CA_BUNDLE" "$ctx/ca-certificates.crt"
echo 'invited:x:65532:65532:invited:/data:/sbin/nologin' >"$ctx/passwd"
echo 'invited:x:65532:' >"$ctx/group"
mkdir "$ctx/data"

# HEALTHCHECK exists only in the Docker image format, which podman must be
# asked for.
format=()
[ "$(basename "$ENGINE")" = podman ] && format=(--format docker)
"$ENGINE" build ${format[@]+"${format[@]}"} --platform "linux/$(go env GOARCH)" -f Dockerfile -t "$TAG" \
	--build-arg VERSION="$VERSION" --build-arg COMMIT="$COMMIT" \
	--build-arg CREATED="$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
	"$ctx"
echo "built $TAG"
