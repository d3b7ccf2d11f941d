// Package containertest tests the container image: it builds the image with
// scripts/build-image.sh and podman, and runs it as a user would. It holds
// no code of its own; see image_test.go.
package containertest
