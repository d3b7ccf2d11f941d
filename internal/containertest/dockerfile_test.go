package containertest

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestDockerfilesAlike checks that Dockerfile.source's final stage is
// Dockerfile's, copying from its build stage what scripts/build-image.sh
// puts in Dockerfile's context: "the same image" built either way. It
// needs no container engine, so it holds where the image test skips and
// where nothing can pull golang to build Dockerfile.source.
func TestDockerfilesAlike(t *testing.T) {
	release := instructions(t, "../../Dockerfile")
	source := instructions(t, "../../Dockerfile.source")
	last := -1
	for i, line := range source {
		if strings.HasPrefix(line, "FROM ") {
			last = i
		}
	}
	if last < 1 {
		t.Fatalf("Dockerfile.source has no build stage before its final one: %q", source)
	}
	final := strings.Join(source[last:], "\n")
	final = strings.ReplaceAll(final, "--from=build ", "")
	final = strings.ReplaceAll(final, "/context/", "")
	if want := strings.Join(release, "\n"); final != want {
		t.Errorf("Dockerfile.source's final stage, copying from the build stage's /context/, is not Dockerfile:\n%s\n\nDockerfile:\n%s", final, want)
	}
}

// instructions reads a Dockerfile as its instructions, one a line:
// comments and blank lines dropped, continuation lines joined, runs of
// blanks made one.
func instructions(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	var cur strings.Builder
	blanks := regexp.MustCompile(`\s+`)
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		more := strings.HasSuffix(line, `\`)
		cur.WriteString(strings.TrimSuffix(line, `\`) + " ")
		if !more {
			out = append(out, strings.TrimSpace(blanks.ReplaceAllString(cur.String(), " ")))
			cur.Reset()
		}
	}
	return out
}
