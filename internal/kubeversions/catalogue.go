package kubeversions

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Version is one Kubernetes minor version keks can run.
type Version struct {
	Minor           string // "1.37"
	Patch           string // "1.37.2": the k8s.io/kubernetes release keks builds
	PlatformVersion string // EKS-style platform version of this keks release
	Release         time.Time
	EndOfStandard   time.Time
	EndOfExtended   time.Time
}

// Support states as DescribeClusterVersions reports them.
const (
	StandardSupport = "STANDARD_SUPPORT"
	ExtendedSupport = "EXTENDED_SUPPORT"
	Unsupported     = "UNSUPPORTED"
)

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

// catalogue lists the versions the Go module proxy serves. Dates for 1.34 and
// 1.35 are EKS's published ones; for 1.36 and 1.37 they follow EKS's rule
// (14 months of standard support, then 12 of extended) from keks's release dates.
var catalogue = []Version{
	{Minor: "1.34", Patch: "1.34.4", PlatformVersion: "eks.1", Release: day("2025-10-06"), EndOfStandard: day("2026-12-02"), EndOfExtended: day("2027-12-02")},
	{Minor: "1.35", Patch: "1.35.4", PlatformVersion: "eks.1", Release: day("2026-01-28"), EndOfStandard: day("2027-03-27"), EndOfExtended: day("2028-03-27")},
	{Minor: "1.36", Patch: "1.36.3", PlatformVersion: "eks.1", Release: day("2026-06-10"), EndOfStandard: day("2027-08-10"), EndOfExtended: day("2028-08-10")},
	{Minor: "1.37", Patch: "1.37.2", PlatformVersion: "eks.1", Release: day("2026-10-14"), EndOfStandard: day("2027-12-14"), EndOfExtended: day("2028-12-14")},
}

// Default is the version new clusters get when they name none.
const Default = "1.37"

// All returns the catalogue, oldest first.
func All() []Version {
	out := append([]Version(nil), catalogue...)
	sort.Slice(out, func(i, j int) bool { return Less(out[i].Minor, out[j].Minor) })
	return out
}

// Lookup finds a minor version ("1.37") or a patch version ("1.37.2").
func Lookup(v string) (Version, bool) {
	v = strings.TrimPrefix(v, "v")
	for _, c := range catalogue {
		if c.Minor == v || c.Patch == v {
			return c, true
		}
	}
	return Version{}, false
}

// Status is the support state of v at time now.
func (v Version) Status(now time.Time) string {
	switch {
	case now.Before(v.EndOfStandard):
		return StandardSupport
	case now.Before(v.EndOfExtended):
		return ExtendedSupport
	default:
		return Unsupported
	}
}

// Available reports whether new clusters may use v at time now.
func (v Version) Available(now time.Time) bool { return v.Status(now) != Unsupported }

// ParseMinor splits "1.37" into 1 and 37.
func ParseMinor(v string) (major, minor int, err error) {
	a, b, ok := strings.Cut(v, ".")
	if !ok {
		return 0, 0, fmt.Errorf("version %q is not MAJOR.MINOR", v)
	}
	if i := strings.Index(b, "."); i >= 0 {
		b = b[:i]
	}
	major, err = strconv.Atoi(a)
	if err == nil {
		minor, err = strconv.Atoi(b)
	}
	return major, minor, err
}

// Less orders minor versions numerically.
func Less(a, b string) bool {
	am, an, _ := ParseMinor(a)
	bm, bn, _ := ParseMinor(b)
	if am != bm {
		return am < bm
	}
	return an < bn
}

// IsNextMinor reports whether to is exactly one minor version after from.
func IsNextMinor(from, to string) bool {
	fm, fn, err1 := ParseMinor(from)
	tm, tn, err2 := ParseMinor(to)
	return err1 == nil && err2 == nil && fm == tm && tn == fn+1
}
