package invited

import (
	"errors"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// Outbound requests that API users aim (issue 13, D4): webhook endpoints
// and apps' OAuth endpoints. Whoever registers one chooses where the
// service connects, so without a rule they could make it reach its own
// network: loopback, the cloud's metadata service, private ranges. The
// rule is one OutboundPolicy, applied twice: to the literal addresses of a
// URL when it is registered (CheckURL), and to every address actually
// dialed (internal/egress), which is what covers names, DNS rebinding and
// redirects.

// ErrRefusedByPolicy is what every refusal of the outbound policy is: the
// errors of Check and of a refused dial match it with errors.Is.
var ErrRefusedByPolicy = errors.New("refused_by_policy")

// OutboundPolicy says where outbound requests that API users aim may go:
// anywhere public, nowhere in the reserved ranges unless Allow
// lets the address through. The zero value refuses every reserved range.
//
// Reserved are, for IPv4: 0.0.0.0/8 (unspecified), 10.0.0.0/8,
// 172.16.0.0/12 and 192.168.0.0/16 (private), 100.64.0.0/10 (CGNAT),
// 127.0.0.0/8 (loopback), 169.254.0.0/16 (link-local, the cloud metadata
// service), 192.0.0.0/24, the documentation and benchmarking ranges,
// 192.88.99.0/24, 224.0.0.0/4 (multicast) and 240.0.0.0/4 (reserved,
// broadcast). For IPv6, everything outside global unicast 2000::/3
// (unspecified, loopback, link-local, unique local, multicast, ...), and
// within it Teredo, benchmarking, ORCHID and documentation.
type OutboundPolicy struct {
	// Allow lists the prefixes let through although they are reserved:
	// the operator's internal endpoints (INVITED_OUTBOUND_ALLOW).
	Allow []netip.Prefix
}

// RefusedAddressError is an address the policy refuses, with why. Its
// message is for the operator's log; what API users see is the category
// (ErrRefusedByPolicy) or, at registration, the address they wrote.
type RefusedAddressError struct {
	Addr netip.Addr
	// Reason is the kind of address, such as "loopback" or "private
	// (RFC 1918)".
	Reason string
}

func (e *RefusedAddressError) Error() string {
	return "outbound request to " + e.Addr.String() + " refused: " + e.Reason + " address, not on the allow-list"
}

// Is makes the error match ErrRefusedByPolicy.
func (e *RefusedAddressError) Is(target error) bool { return target == ErrRefusedByPolicy }

// Check returns nil when requests may go to a, else a *RefusedAddressError.
// An IPv4-mapped IPv6 address (::ffff:127.0.0.1) is judged as the IPv4
// address it is; a NAT64 (64:ff9b::/96) or 6to4 (2002::/16) address as
// the IPv4 address it embeds, since that is where the translator sends
// it. A zone is ignored.
func (p OutboundPolicy) Check(a netip.Addr) error {
	a = a.WithZone("").Unmap()
	embedded, ok := embeddedIPv4(a)
	if p.allows(a) || ok && p.allows(embedded) {
		return nil
	}
	if why := reserved(a); why != "" {
		return &RefusedAddressError{Addr: a, Reason: why}
	}
	return nil
}

func (p OutboundPolicy) allows(a netip.Addr) bool {
	for _, prefix := range p.Allow {
		if prefix.Contains(a) {
			return true
		}
	}
	return false
}

// addressRange is a reserved range and the kind of address in it.
type addressRange struct {
	prefix netip.Prefix
	kind   string
}

func ranges(kv ...string) []addressRange {
	rs := make([]addressRange, 0, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		rs = append(rs, addressRange{netip.MustParsePrefix(kv[i]), kv[i+1]})
	}
	return rs
}

// reserved4 are the IPv4 ranges that are not the public internet (the
// IANA special-purpose registry, less what is globally reachable).
var reserved4 = ranges(
	"0.0.0.0/8", "unspecified (\"this network\")",
	"10.0.0.0/8", "private (RFC 1918)",
	"100.64.0.0/10", "shared (CGNAT, RFC 6598)",
	"127.0.0.0/8", "loopback",
	"169.254.0.0/16", "link-local",
	"172.16.0.0/12", "private (RFC 1918)",
	"192.0.0.0/24", "IETF protocol assignment",
	"192.0.2.0/24", "documentation",
	"192.88.99.0/24", "6to4 relay anycast",
	"192.168.0.0/16", "private (RFC 1918)",
	"198.18.0.0/15", "benchmarking",
	"198.51.100.0/24", "documentation",
	"203.0.113.0/24", "documentation",
	"224.0.0.0/4", "multicast",
	"240.0.0.0/4", "reserved or broadcast",
)

// IPv6 is public only within global unicast, 2000::/3: outside6 names the
// kinds outside it, reserved6 the reserved ranges within it.
var (
	globalUnicast = netip.MustParsePrefix("2000::/3")
	outside6      = ranges(
		"::/128", "unspecified",
		"::1/128", "loopback",
		"fe80::/10", "link-local",
		"fc00::/7", "unique local (ULA)",
		"ff00::/8", "multicast",
	)
	reserved6 = ranges(
		"2001::/32", "Teredo",
		"2001:2::/48", "benchmarking",
		"2001:10::/28", "ORCHID",
		"2001:20::/28", "ORCHIDv2",
		"2001:db8::/32", "documentation",
		"3fff::/20", "documentation",
	)
	nat64  = netip.MustParsePrefix("64:ff9b::/96")
	sixTo4 = netip.MustParsePrefix("2002::/16")
)

// reserved returns the kind of a when it is outside the public internet,
// as "loopback" or "private (RFC 1918)", and "" when it is public.
func reserved(a netip.Addr) string {
	if !a.IsValid() {
		return "invalid"
	}
	a = a.WithZone("").Unmap()
	if a.Is4() {
		return kindIn(reserved4, a)
	}
	if e, ok := embeddedIPv4(a); ok {
		if why := reserved(e); why != "" {
			return why + " IPv4 address embedded in a NAT64 or 6to4"
		}
		return ""
	}
	if !globalUnicast.Contains(a) {
		if why := kindIn(outside6, a); why != "" {
			return why
		}
		return "non-global IPv6"
	}
	return kindIn(reserved6, a)
}

func kindIn(rs []addressRange, a netip.Addr) string {
	for _, r := range rs {
		if r.prefix.Contains(a) {
			return r.kind
		}
	}
	return ""
}

// embeddedIPv4 is the IPv4 address a NAT64 (64:ff9b::/96, its last 32
// bits) or 6to4 (2002::/16, the 32 bits after the prefix) address embeds.
func embeddedIPv4(a netip.Addr) (netip.Addr, bool) {
	b := a.As16()
	switch {
	case !a.Is6():
		return netip.Addr{}, false
	case nat64.Contains(a):
		return netip.AddrFrom4([4]byte(b[12:16])), true
	case sixTo4.Contains(a):
		return netip.AddrFrom4([4]byte(b[2:6])), true
	}
	return netip.Addr{}, false
}

// CheckURL adds to f, under field, why the policy refuses raw's host,
// when it can tell from the host alone: an IP address literal it refuses,
// localhost (RFC 6761: always loopback), or an IPv4 address in a form
// other than four decimal numbers (2130706433, 0x7f.1, 0177.0.0.1, 127.1),
// which resolvers read differently and which no endpoint needs. Names are
// judged when they are dialed. raw that does not parse is left to the
// caller's own check.
func (p OutboundPolicy) CheckURL(f FieldErrors, field, raw string) {
	u, err := url.Parse(raw)
	if err != nil {
		return
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		addrs = []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")}
	} else if legacyIPv4(host) {
		f.Add(field, Problemf("ipv4_format", "host", quote(u.Hostname())))
		return
	}
	var refused *RefusedAddressError
	for _, a := range addrs {
		err := p.Check(a)
		if err == nil {
			return // one address it may reach is enough: the dial tries each
		}
		errors.As(err, &refused)
	}
	if refused != nil {
		f.Add(field, Problemf("private_address", "host", quote(u.Hostname()), "reason", refused.Reason))
	}
}

// legacyIPv4 reports whether host is an IPv4 address as inet_aton(3)
// reads one: one to four parts, each decimal, octal (a leading 0) or
// hexadecimal (0x), the last filling the bytes that remain.
func legacyIPv4(host string) bool {
	parts := strings.Split(host, ".")
	if len(parts) > 4 {
		return false
	}
	for i, part := range parts {
		var v uint64
		var err error
		switch {
		case part == "":
			return false
		case part == "0x":
		case strings.HasPrefix(part, "0x"):
			v, err = strconv.ParseUint(part[2:], 16, 32)
		case len(part) > 1 && part[0] == '0':
			v, err = strconv.ParseUint(part[1:], 8, 32)
		default:
			v, err = strconv.ParseUint(part, 10, 32)
		}
		// Every part but the last is one byte; the last fills the
		// 4-i bytes that remain.
		if err != nil || i < len(parts)-1 && v > 0xff || i > 0 && v>>(8*(4-i)) != 0 {
			return false
		}
	}
	return true
}
