package main

import (
	"strings"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ms := func(vs ...int) []time.Duration {
		out := make([]time.Duration, len(vs))
		for i, v := range vs {
			out[i] = time.Duration(v) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	for _, tc := range []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one value, any p", ms(7), 99, 7 * time.Millisecond},
		{"one value, tiny p", ms(7), 0.001, 7 * time.Millisecond},
		{"p50 of 1..100", ms(hundred...), 50, 50 * time.Millisecond},
		{"p90 of 1..100", ms(hundred...), 90, 90 * time.Millisecond},
		{"p99 of 1..100", ms(hundred...), 99, 99 * time.Millisecond},
		{"max of 1..100", ms(hundred...), 100, 100 * time.Millisecond},
		{"p50 of 4 is the 2nd", ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"p51 of 4 is the 3rd", ms(1, 2, 3, 4), 51, 3 * time.Millisecond},
		{"p99 of 10 is the max", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 99, 10 * time.Millisecond},
	} {
		if got := percentile(tc.sorted, tc.p); got != tc.want {
			t.Errorf("%s: percentile(p%v) = %v, want %v", tc.name, tc.p, got, tc.want)
		}
	}
}

func TestCheckURL(t *testing.T) {
	for _, tc := range []struct {
		in, want string // want "" means refused
	}{
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080"},
		{"http://127.0.0.1:8080/", "http://127.0.0.1:8080"},
		{"http://127.1.2.3:9000/base", "http://127.1.2.3:9000/base"},
		{"http://[::1]:8080", "http://[::1]:8080"},
		{"https://127.0.0.1", "https://127.0.0.1"},
		{"http://localhost:8080", ""}, // a name could resolve anywhere
		{"http://10.0.0.1:8080", ""},
		{"http://0.0.0.0:8080", ""},
		{"http://example.com", ""},
		{"http://127.0.0.1.example.com", ""},
		{"ftp://127.0.0.1", ""},
		{"127.0.0.1:8080", ""},
		{"http://user:pw@127.0.0.1:8080", ""},
		{"", ""},
	} {
		got, err := checkURL(tc.in)
		if tc.want == "" {
			if err == nil {
				t.Errorf("checkURL(%q) = %q, want refused", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("checkURL(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestListenLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "10.0.0.1:0", "localhost:0", "nonsense"} {
		if ln, err := listenLoopback(addr); err == nil {
			ln.Close()
			t.Errorf("listenLoopback(%q) accepted", addr)
		}
	}
	ln, err := listenLoopback(":0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if a := ln.Addr().String(); !strings.HasPrefix(a, "127.0.0.1:") {
		t.Errorf(":0 listened on %s, want 127.0.0.1", a)
	}
}
