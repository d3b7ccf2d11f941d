package containertest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/invitedhq/invited"
	"github.com/invitedhq/invited/client"
)

// podman runs podman commands against a store of the test's own (images,
// containers and volumes under a temporary directory), so that the test
// neither sees nor leaves anything in the machine's store.
type podman struct {
	t   *testing.T
	env []string
}

// newPodman returns podman with a fresh store, or skips the test (fails it
// under CI=true) when podman is missing or cannot run containers here.
func newPodman(t *testing.T) *podman {
	t.Helper()
	if _, err := exec.LookPath("podman"); err != nil {
		skipOrFail(t, "podman is not installed (apt-get install podman runc netavark iptables)")
	}
	dir := t.TempDir()
	// runc rather than crun, which fails on the cgroups of some machines
	// (CI's among them), and no default ulimits, which fail there too.
	conf := filepath.Join(dir, "containers.conf")
	storage := filepath.Join(dir, "storage.conf")
	write(t, conf, "[containers]\ndefault_ulimits = []\n\n[engine]\nruntime = \"runc\"\n")
	write(t, storage, fmt.Sprintf("[storage]\ndriver = \"overlay\"\ngraphroot = %q\nrunroot = %q\n",
		filepath.Join(dir, "root"), filepath.Join(dir, "run")))
	p := &podman{t: t, env: append(os.Environ(), "CONTAINERS_CONF="+conf, "CONTAINERS_STORAGE_CONF="+storage)}
	if out, err := p.cmd("info").CombinedOutput(); err != nil {
		skipOrFail(t, fmt.Sprintf("podman does not work here: %v\n%s", err, out))
	}
	t.Cleanup(func() {
		// Containers first: they hold the volume and the image. The
		// store's directory goes with t.TempDir.
		for _, args := range [][]string{{"rm", "--all", "--force", "--time", "0"}, {"volume", "rm", "--all", "--force"}, {"rmi", "--all", "--force"}} {
			if out, err := p.cmd(args...).CombinedOutput(); err != nil {
				t.Errorf("podman %s: %v\n%s", strings.Join(args, " "), err, out)
			}
		}
	})
	return p
}

func (p *podman) cmd(args ...string) *exec.Cmd {
	c := exec.Command("podman", args...)
	c.Env = p.env
	return c
}

// run runs podman and returns its standard output, trimmed; a failure
// fails the test.
func (p *podman) run(args ...string) string {
	p.t.Helper()
	var stdout, stderr bytes.Buffer
	c := p.cmd(args...)
	c.Stdout, c.Stderr = &stdout, &stderr
	if err := c.Run(); err != nil {
		p.t.Fatalf("podman %s: %v\n%s%s", strings.Join(args, " "), err, stdout.Bytes(), stderr.Bytes())
	}
	return strings.TrimSpace(stdout.String())
}

// start runs the image detached with the volume on /data and the API port
// on a loopback port that podman picks, and waits until the server is
// ready from the host. It answers the base URL.
func (p *podman) start(name, image, volume, adminKey string) string {
	p.t.Helper()
	p.run("run", "--detach", "--name", name, "--publish", "127.0.0.1::8080",
		"--volume", volume+":/data", "--env", "INVITED_ADMIN_API_KEY="+adminKey, image)
	url := "http://" + p.run("port", name, "8080/tcp")
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url
			}
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s not ready in time (last: %v)\n%s", name, err, p.logs(name))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (p *podman) logs(name string) string {
	out, _ := p.cmd("logs", name).CombinedOutput()
	return string(out)
}

// TestImage builds the image as a release does and runs it: ready from the
// host, healthy by its own HEALTHCHECK, not root, stopped cleanly by
// SIGTERM, and the SQLite database on the volume outlives the container.
func TestImage(t *testing.T) {
	p := newPodman(t)
	const version, image, volume = "v0.0.0-containertest", "localhost/invited:containertest", "invited-containertest-data"
	build := exec.Command("../../scripts/build-image.sh", image)
	build.Env = append(p.env, "VERSION="+version, "ENGINE=podman")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("scripts/build-image.sh: %v\n%s", err, out)
	}

	var labels map[string]string
	if err := json.Unmarshal([]byte(p.run("image", "inspect", "--format", "{{json .Labels}}", image)), &labels); err != nil {
		t.Fatal(err)
	}
	if got := labels["org.opencontainers.image.version"]; got != version {
		t.Errorf("label org.opencontainers.image.version = %q, want %q", got, version)
	}

	adminKey := invited.NewSecret(invited.SecretPrefixAPIKey)
	url := p.start("invited-1", image, volume, adminKey)
	if out := p.run("exec", "invited-1", "/invited", "version"); !strings.Contains(out, version) {
		t.Errorf("/invited version in the container: %q, want %q in it", out, version)
	}
	// The image's HEALTHCHECK, as the runtime runs it; its log holds what
	// the check printed.
	if out, err := p.cmd("healthcheck", "run", "invited-1").CombinedOutput(); err != nil {
		t.Errorf("podman healthcheck run: %v %s\n%s", err, out,
			p.run("inspect", "--format", "{{range .State.Health.Log}}{{.Output}}{{end}}", "invited-1"))
	}
	if got := p.run("inspect", "--format", "{{.State.Health.Status}}", "invited-1"); got != "healthy" {
		t.Errorf("health %q after healthcheck run", got)
	}
	// podman top reads the process from the host's /proc and names its
	// user from the image's /etc/passwd: 65532 is invited there.
	if top := strings.Fields(p.run("top", "invited-1", "user")); len(top) != 2 || top[1] != "invited" {
		t.Errorf("podman top user: %q, want the process to run as invited (65532)", top)
	}

	org, err := client.New(url, client.WithAPIKey(adminKey)).CreateOrganization(t.Context(), invited.OrganizationCreate{Name: "Persisted"})
	if err != nil {
		t.Fatal(err)
	}
	p.run("stop", "invited-1")
	if code := p.run("inspect", "--format", "{{.State.ExitCode}}", "invited-1"); code != "0" {
		t.Errorf("exit code %s after SIGTERM\n%s", code, p.logs("invited-1"))
	}
	p.run("rm", "invited-1")

	url = p.start("invited-2", image, volume, adminKey)
	if got, err := client.New(url, client.WithAPIKey(adminKey)).GetOrganization(t.Context(), org.ID); err != nil || got.Name != "Persisted" {
		t.Errorf("organization after a new container on the volume: %+v, %v", got, err)
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// skipOrFail skips a test that cannot run here, or fails it under CI=true:
// a skipped image test must not pass for a tested image.
func skipOrFail(t *testing.T, msg string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true and the image cannot be tested: %s", msg)
	}
	t.Skip("skipping the container image test: " + msg)
}
