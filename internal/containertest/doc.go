// Package containertest tests the container image: it builds the image with
// scripts/build-image.sh and podman, and runs it as a user would
// (image_test.go), and checks that Dockerfile.source builds the same image
// as Dockerfile (dockerfile_test.go). It holds no code of its own.
package containertest
