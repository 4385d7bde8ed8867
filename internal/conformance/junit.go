package conformance

import (
	"encoding/xml"
	"fmt"
	"os"
	"strings"
	"time"
)

// Phase is what one phase of a run gave.
type Phase struct {
	Name            string
	Passed, Skipped int
	Failures        []Failure
	Duration        time.Duration
}

// Failure is a failed test and why.
type Failure struct{ Test, Message string }

// Summary is a whole run.
type Summary struct{ Phases []Phase }

// Failed counts the failed tests of every phase.
func (s *Summary) Failed() int {
	n := 0
	for _, p := range s.Phases {
		n += len(p.Failures)
	}
	return n
}

func (s *Summary) String() string {
	var b strings.Builder
	passed, skipped := 0, 0
	for _, p := range s.Phases {
		passed, skipped = passed+p.Passed, skipped+p.Skipped
		fmt.Fprintf(&b, "%-8s %4d passed  %4d failed  %4d skipped  in %s\n", p.Name, p.Passed, len(p.Failures), p.Skipped, p.Duration)
	}
	fmt.Fprintf(&b, "%-8s %4d passed  %4d failed  %4d skipped\n", "total", passed, s.Failed(), skipped)
	for _, p := range s.Phases {
		for _, f := range p.Failures {
			fmt.Fprintf(&b, "\nFAILED (%s) %s\n    %s\n", p.Name, f.Test, strings.ReplaceAll(strings.TrimSpace(f.Message), "\n", "\n    "))
		}
	}
	return b.String()
}

// junitSuites is the part of ginkgo's JUnit report a summary needs.
type junitSuites struct {
	Suites []struct {
		Cases []struct {
			Name    string `xml:"name,attr"`
			Status  string `xml:"status,attr"`
			Skipped *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
			Failure *struct {
				Message string `xml:"message,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
				Text    string `xml:",chardata"`
			} `xml:"error"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

// readJUnit counts a phase's tests from the JUnit file e2e.test writes
// (failure text without a message attribute; every spec of the suite listed,
// those the filters left out as skipped).
func readJUnit(path string) (*Phase, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r junitSuites
	if err := xml.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	var p Phase
	for _, s := range r.Suites {
		for _, c := range s.Cases {
			switch {
			case c.Failure != nil:
				p.Failures = append(p.Failures, Failure{Test: c.Name, Message: firstLines(firstNonEmpty(c.Failure.Message, c.Failure.Text), 12)})
			case c.Error != nil:
				p.Failures = append(p.Failures, Failure{Test: c.Name, Message: firstLines(firstNonEmpty(c.Error.Message, c.Error.Text), 12)})
			case c.Skipped != nil:
				// Specs the filters left out are listed as plain "skipped";
				// one that ran and skipped itself says why.
				if strings.HasPrefix(c.Skipped.Message, "skipped - ") {
					p.Skipped++
				}
			default:
				if c.Name == "[SynchronizedBeforeSuite]" || c.Name == "[SynchronizedAfterSuite]" || strings.HasPrefix(c.Name, "[ReportAfterSuite]") || strings.HasPrefix(c.Name, "[ReportBeforeSuite]") {
					continue
				}
				p.Passed++
			}
		}
	}
	return &p, nil
}

func firstNonEmpty(a, b string) string {
	if strings.TrimSpace(a) != "" {
		return a
	}
	return b
}

// firstLines keeps the start of a long failure text; the JUnit file has it all.
func firstLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = append(lines[:n], "...")
	}
	return strings.Join(lines, "\n")
}
