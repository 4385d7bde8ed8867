package policy

import (
	"encoding/base64"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// parseNumber reads an integer or decimal condition value.
func parseNumber(s string) (float64, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// dateLayouts are the W3C profile of ISO 8601 the docs point to (year,
// year-month, date, date and time to the minute, second or fraction, with
// a zone designator), plus the same without a zone (taken as UTC) and the
// basic format that signed requests use. A value of digits alone is epoch
// seconds, as IAM reads it (so a bare year is not a date).
var dateLayouts = []string{
	time.RFC3339, // also reads fractional seconds
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02",
	"2006-01",
	"20060102T150405Z07:00",
	"20060102T150405",
}

// parseDate reads an ISO 8601 date and time, or epoch (UNIX) seconds, as
// nanoseconds since the epoch.
func parseDate(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	if isDigits(s) {
		secs, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, false
		}
		if secs > math.MaxInt64/int64(time.Second) {
			// Beyond what nanoseconds hold (an epoch in milliseconds, say):
			// later than any request.
			return math.MaxInt64, true
		}
		return secs * int64(time.Second), true
	}
	if strings.ContainsAny(s, "tz") {
		// Lower-case designators are accepted by IAM's parser.
		s = strings.ToUpper(s)
	}
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UnixNano(), true
		}
	}
	return 0, false
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// parseCIDR reads an IpAddress value: a CIDR block, or an address alone,
// which stands for itself (/32, or /128 for IPv6).
func parseCIDR(s string) (netip.Prefix, bool) {
	s = strings.TrimSpace(s)
	if strings.IndexByte(s, '/') >= 0 {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		return unmapPrefix(p.Masked()), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), true
}

// unmapPrefix turns ::ffff:a.b.c.d/n into the IPv4 prefix it means, so
// that an IPv4 caller matches it.
func unmapPrefix(p netip.Prefix) netip.Prefix {
	a := p.Addr()
	if !a.Is4In6() || p.Bits() < 96 {
		return p
	}
	return netip.PrefixFrom(a.Unmap(), p.Bits()-96)
}

// parseAddr reads a request's aws:SourceIp.
func parseAddr(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// parseBinary reads a BinaryEquals value: base-64 of the bytes to compare.
func parseBinary(s string) ([]byte, bool) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, false
	}
	return b, true
}
