package invited_test

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/invitedhq/invited"
)

// allowLoopback lets the tests' local servers through.
var allowLoopback = invited.OutboundPolicy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}}

func TestOutboundPolicyCheck(t *testing.T) {
	tests := []struct {
		addr string
		kind string // "" when allowed by default
	}{
		// Loopback, in every spelling of it.
		{"127.0.0.1", "loopback"},
		{"127.255.255.254", "loopback"},
		{"::1", "loopback"},
		{"::ffff:127.0.0.1", "loopback"},
		{"::ffff:7f00:1", "loopback"},
		// Unspecified: connecting to it reaches the host itself.
		{"0.0.0.0", "unspecified"},
		{"0.1.2.3", "unspecified"},
		{"::", "unspecified"},
		{"::ffff:0.0.0.0", "unspecified"},
		// Link-local, the cloud metadata service among them.
		{"169.254.169.254", "link-local"},
		{"::ffff:169.254.169.254", "link-local"},
		{"fe80::1", "link-local"},
		{"fe80::1%eth0", "link-local"},
		// Private and unique local.
		{"10.0.0.1", "private"},
		{"172.16.0.1", "private"},
		{"172.31.255.255", "private"},
		{"192.168.1.1", "private"},
		{"::ffff:192.168.1.1", "private"},
		{"fc00::1", "unique local"},
		{"fd12:3456::1", "unique local"},
		// The other special-purpose ranges.
		{"100.64.0.1", "CGNAT"},
		{"100.127.255.255", "CGNAT"},
		{"192.0.0.8", "IETF"},
		{"192.0.2.1", "documentation"},
		{"198.51.100.7", "documentation"},
		{"203.0.113.9", "documentation"},
		{"198.18.0.1", "benchmarking"},
		{"198.19.255.255", "benchmarking"},
		{"192.88.99.1", "6to4 relay"},
		{"224.0.0.1", "multicast"},
		{"239.255.255.250", "multicast"},
		{"ff02::1", "multicast"},
		{"240.0.0.1", "reserved"},
		{"255.255.255.255", "broadcast"},
		{"2001:db8::1", "documentation"},
		{"3fff::1", "documentation"},
		{"2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"},
		{"2001:2::1", "benchmarking"},
		{"100::1", "non-global"},
		{"::7f00:1", "non-global"}, // IPv4-compatible, deprecated
		// Translators: judged by the IPv4 address they carry.
		{"64:ff9b::7f00:1", "loopback"},
		{"64:ff9b::a9fe:a9fe", "link-local"},
		{"64:ff9b::808:808", ""},
		{"2002:7f00:1::1", "loopback"},
		{"2002:c0a8:101::1", "private"},
		{"2002:808:808::1", ""},
		{"64:ff9b:1::a00:1", "non-global"}, // local-use NAT64: refused whole
		// Public: allowed.
		{"8.8.8.8", ""},
		{"1.1.1.1", ""},
		{"100.63.255.255", ""},
		{"100.128.0.0", ""},
		{"172.15.255.255", ""},
		{"172.32.0.0", ""},
		{"192.0.1.1", ""},
		{"198.20.0.0", ""},
		{"223.255.255.255", ""},
		{"::ffff:8.8.8.8", ""},
		{"2606:4700:4700::1111", ""},
		{"2a00:1450:4001::1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			err := invited.OutboundPolicy{}.Check(netip.MustParseAddr(tt.addr))
			if tt.kind == "" {
				if err != nil {
					t.Fatalf("Check = %v, want allowed", err)
				}
				return
			}
			var refused *invited.RefusedAddressError
			if !errors.As(err, &refused) || !errors.Is(err, invited.ErrRefusedByPolicy) {
				t.Fatalf("Check = %v, want a RefusedAddressError matching ErrRefusedByPolicy", err)
			}
			if !strings.Contains(refused.Reason, tt.kind) {
				t.Errorf("Reason = %q, want it to say %q", refused.Reason, tt.kind)
			}
		})
	}
}

func TestOutboundPolicyAllow(t *testing.T) {
	p := invited.OutboundPolicy{Allow: []netip.Prefix{
		netip.MustParsePrefix("127.0.0.0/8"),
		netip.MustParsePrefix("::1/128"),
		netip.MustParsePrefix("10.1.0.0/16"),
	}}
	tests := []struct {
		addr    string
		allowed bool
	}{
		{"127.0.0.1", true},
		{"::1", true},
		{"::ffff:127.0.0.1", true}, // judged unmapped
		{"10.1.2.3", true},
		{"64:ff9b::a01:203", true}, // NAT64 of 10.1.2.3
		{"10.2.0.1", false},
		{"169.254.169.254", false},
		{"fe80::1", false},
		{"8.8.8.8", true},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			err := p.Check(netip.MustParseAddr(tt.addr))
			if (err == nil) != tt.allowed {
				t.Errorf("Check = %v, want allowed %v", err, tt.allowed)
			}
		})
	}
}

func TestOutboundPolicyCheckURL(t *testing.T) {
	tests := []struct {
		url     string
		refused string // a word of the message; "" when accepted
		// allowed: accepted with loopback allowed.
		allowed bool
	}{
		{"https://hooks.example.com/x", "", true},
		{"https://8.8.8.8/x", "", true},
		{"https://[2606:4700:4700::1111]/x", "", true},
		{"http://127.0.0.1:8080/x", "loopback", true},
		{"http://127.0.0.1./x", "loopback", true},
		{"http://[::1]/x", "loopback", true},
		{"http://[::ffff:127.0.0.1]/x", "loopback", true},
		{"http://[::ffff:7f00:1]/x", "loopback", true},
		{"http://localhost:8080/x", "loopback", true},
		{"http://LOCALHOST/x", "loopback", true},
		{"http://api.localhost/x", "loopback", true},
		{"http://0.0.0.0/x", "unspecified", false},
		{"http://[::]/x", "unspecified", false},
		{"http://169.254.169.254/latest/meta-data/", "link-local", false},
		{"http://[fe80::1%25eth0]/x", "link-local", false},
		{"http://10.0.0.1/x", "private", false},
		{"http://[fc00::1]/x", "unique local", false},
		{"http://100.64.0.1/x", "CGNAT", false},
		{"http://224.0.0.1/x", "multicast", false},
		{"http://255.255.255.255/x", "broadcast", false},
		// IPv4 in the forms inet_aton reads: refused whatever they name.
		{"http://2130706433/x", "four decimal numbers", false},
		{"http://0x7f.1/x", "four decimal numbers", false},
		{"http://0x7f000001/x", "four decimal numbers", false},
		{"http://0177.0.0.1/x", "four decimal numbers", false},
		{"http://127.1/x", "four decimal numbers", false},
		{"http://010.0.0.1/x", "four decimal numbers", false},
		{"http://134744072/x", "four decimal numbers", false}, // 8.8.8.8
		// Names are judged when dialed.
		{"http://internal.example/x", "", true},
		{"http://127.0.0.1.nip.io/x", "", true},
		{"http://0x7f.example/x", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			f := invited.FieldErrors{}
			invited.OutboundPolicy{}.CheckURL(f, "url", tt.url)
			p, refused := f["url"]
			msg := p.Text()
			if refused != (tt.refused != "") || !strings.Contains(msg, tt.refused) {
				t.Errorf("by default: field error %q, want one saying %q", msg, tt.refused)
			}
			f = invited.FieldErrors{}
			allowLoopback.CheckURL(f, "url", tt.url)
			if _, refused := f["url"]; refused == tt.allowed {
				t.Errorf("with loopback allowed: field error %q, want accepted %v", f["url"].Text(), tt.allowed)
			}
		})
	}
}
