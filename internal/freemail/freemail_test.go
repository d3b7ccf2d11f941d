package freemail

import (
	"runtime"
	"strings"
	"testing"
)

func TestBlocked(t *testing.T) {
	for _, tc := range []struct {
		domain string
		reason string // "" for not blocked
	}{
		{"gmail.com", ReasonFree},
		{"GMail.COM", ReasonFree},
		{"gmail.com.", ReasonFree},
		{"outlook.com", ReasonFree},
		{"hotmail.co.uk", ReasonFree},
		{"yahoo.com", ReasonFree},
		{"proton.me", ReasonFree},
		{"gmx.de", ReasonFree},
		{"mailinator.com", ReasonDisposable},
		{"MAILINATOR.com", ReasonDisposable},
		{"guerrillamail.com", ReasonDisposable},
		{"yopmail.com", ReasonDisposable},
		// Subdomains of a disposable domain are disposable.
		{"anything.mailinator.com", ReasonDisposable},
		{"a.b.Yopmail.com", ReasonDisposable},
		// Organizations' domains.
		{"acme-corp.example", ""},
		{"mail.acme-corp.example", ""},
		{"example.com", ""},
		{"github.com", ""},
		// Under a listed free-mail namespace, a domain of its own.
		{"net.ua", ReasonFree},
		{"acme.net.ua", ""},
		// Names merely containing a listed one.
		{"acmemailinator.com", ""},
		{"mailinator.com.acme-corp.example", ""},
		{"com", ""},
		{"", ""},
	} {
		reason, blocked := Blocked(tc.domain)
		if reason != tc.reason || blocked != (tc.reason != "") {
			t.Errorf("Blocked(%q) = %q, %v; want %q", tc.domain, reason, blocked, tc.reason)
		}
	}
}

// TestData checks the embedded lists as the update script writes them:
// one lower-case domain a line, sorted, no duplicates, and no domain on
// both lists.
func TestData(t *testing.T) {
	seen := map[string]string{}
	for _, list := range []struct{ name, text string }{
		{"free.txt", freeList},
		{"disposable.txt", disposableList},
	} {
		if !strings.HasSuffix(list.text, "\n") {
			t.Errorf("%s: empty or without a final newline", list.name)
		}
		prev := ""
		n := 0
		for line := range strings.Lines(list.text) {
			n++
			d := strings.TrimSuffix(line, "\n")
			if d == "" || d != strings.ToLower(strings.TrimSpace(d)) || !strings.Contains(d, ".") {
				t.Errorf("%s:%d: %q is not a lower-case domain", list.name, n, d)
			}
			if d <= prev {
				t.Errorf("%s:%d: %q after %q: not sorted, or a duplicate", list.name, n, d, prev)
			}
			if other, ok := seen[d]; ok {
				t.Errorf("%s:%d: %q is on %s too", list.name, n, d, other)
			}
			seen[d] = list.name
			prev = d
		}
		if n < 1000 {
			t.Errorf("%s: %d domains, want thousands", list.name, n)
		}
	}
}

func BenchmarkBlocked(b *testing.B) {
	domains() // parsed before the clock starts
	for b.Loop() {
		Blocked("mail.acme-corp.example") // not listed: the longest path
	}
}

// BenchmarkParse measures the first call's cost: building the map. Its
// B/op, with the heap it keeps (reported as heap-B), is the memory
// the lists take.
func BenchmarkParse(b *testing.B) {
	var m map[string]string
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for b.Loop() {
		m = parse()
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapAlloc)-float64(before.HeapAlloc), "heap-B")
	runtime.KeepAlive(m)
}
