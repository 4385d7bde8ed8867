package filterpattern

import (
	"strconv"
	"strings"
)

// slot is one field of a space-delimited pattern: a named (or unnamed)
// field with optional conditions, or "..." for any number of fields.
type slot struct {
	ellipsis bool
	// any is the slot's conditions, || of && groups; none means any value.
	any [][]comparison
}

// parseDelimited reads the inside of [ ... ]: comma-separated slots, each
// `name`, `...`, or conditions on the name (`status = 4* && status !=
// 403`, `level = ERROR || level = WARN`).
func parseDelimited(body string) (*Pattern, error) {
	parts, err := splitSlots(body)
	if err != nil {
		return nil, err
	}
	slots := make([]slot, 0, len(parts))
	for _, part := range parts {
		s, err := parseSlot(strings.TrimSpace(part))
		if err != nil {
			return nil, err
		}
		slots = append(slots, s)
	}
	return &Pattern{match: func(msg string) bool { return matchSlots(slots, splitFields(msg)) }}, nil
}

// splitSlots splits on the commas outside quotes.
func splitSlots(body string) ([]string, error) {
	var parts []string
	start, inQuote := 0, false
	for i := 0; i < len(body); i++ {
		switch body[i] {
		case '\\':
			i++
		case '"':
			inQuote = !inQuote
		case ',':
			if !inQuote {
				parts = append(parts, body[start:i])
				start = i + 1
			}
		}
	}
	if inQuote {
		return nil, invalid("Unterminated quote in '[%s]'", body)
	}
	return append(parts, body[start:]), nil
}

func parseSlot(s string) (slot, error) {
	if s == "..." {
		return slot{ellipsis: true}, nil
	}
	if s == "" {
		return slot{}, nil // an unnamed field, as in AWS's "[..., status_code=4*,]"
	}
	name, n := fieldName(s)
	if n == len(s) {
		return slot{}, nil
	}
	if name == "" {
		return slot{}, invalid("Invalid character(s) in term '%s'", s)
	}
	var sl slot
	group := []comparison{}
	for rest := s; ; {
		rest = strings.TrimSpace(rest)
		if name, n = fieldName(rest); name == "" {
			return slot{}, invalid("a condition must start with a field name: '%s'", rest)
		}
		rest = strings.TrimSpace(rest[n:])
		op, n := readOperator(rest)
		if op == "" {
			return slot{}, invalid("expected a comparison after '%s'", name)
		}
		rest = strings.TrimSpace(rest[n:])
		lit, n, err := readValue(rest, "&|")
		if err != nil {
			return slot{}, err
		}
		c := comparison{op: op, lit: lit}
		if err := c.check(); err != nil {
			return slot{}, err
		}
		group = append(group, c)
		rest = strings.TrimSpace(rest[n:])
		switch {
		case rest == "":
			sl.any = append(sl.any, group)
			return sl, nil
		case strings.HasPrefix(rest, "&&"):
			rest = rest[2:]
		case strings.HasPrefix(rest, "||"):
			sl.any = append(sl.any, group)
			group = []comparison{}
			rest = rest[2:]
		default:
			return slot{}, invalid("unexpected '%s'", rest)
		}
	}
}

// fieldName reads a field's name at the start of s.
func fieldName(s string) (string, int) {
	n := 0
	for n < len(s) && (isWordRune(rune(s[n])) || s[n] == '$') {
		n++
	}
	return s[:n], n
}

// test reports whether a field's value meets the slot's conditions.
func (sl *slot) test(field string) bool {
	if len(sl.any) == 0 {
		return true
	}
	f, numErr := strconv.ParseFloat(field, 64)
	isNum := numErr == nil && number.MatchString(field)
	for _, group := range sl.any {
		all := true
		for _, c := range group {
			ok := false
			if isNum {
				ok = c.onNumber(f, field)
			} else {
				ok = c.onText(field)
			}
			if !ok {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

// splitFields splits a message on spaces; [bracketed] and "quoted" runs
// are one field each, without their delimiters.
func splitFields(msg string) []string {
	var fields []string
	for i := 0; i < len(msg); {
		if isBlank(msg[i]) {
			i++
			continue
		}
		var closing byte
		switch msg[i] {
		case '[':
			closing = ']'
		case '"':
			closing = '"'
		}
		if closing != 0 {
			if end := strings.IndexByte(msg[i+1:], closing); end >= 0 {
				fields = append(fields, msg[i+1:i+1+end])
				i += end + 2
				continue
			}
		}
		end := i
		for end < len(msg) && !isBlank(msg[end]) {
			end++
		}
		fields = append(fields, msg[i:end])
		i = end
	}
	return fields
}

// matchSlots aligns slots with fields: each plain slot takes one field,
// an ellipsis any number; every field must be taken.
func matchSlots(slots []slot, fields []string) bool {
	ellipses, at := 0, -1
	for i := range slots {
		if slots[i].ellipsis {
			ellipses, at = ellipses+1, i
		}
	}
	// The usual patterns have no ellipsis or one: they align without a search.
	switch ellipses {
	case 0:
		return len(fields) == len(slots) && fieldsMeet(slots, fields)
	case 1:
		tail := len(slots) - at - 1
		return len(fields) >= at+tail && fieldsMeet(slots[:at], fields[:at]) && fieldsMeet(slots[at+1:], fields[len(fields)-tail:])
	}
	// seen[i*(len(fields)+1)+j]: slots[i:] already failed on fields[j:].
	seen := make([]bool, (len(slots)+1)*(len(fields)+1))
	var match func(i, j int) bool
	match = func(i, j int) bool {
		if i == len(slots) {
			return j == len(fields)
		}
		at := i*(len(fields)+1) + j
		if seen[at] {
			return false
		}
		ok := false
		if slots[i].ellipsis {
			for k := j; k <= len(fields) && !ok; k++ {
				ok = match(i+1, k)
			}
		} else {
			ok = j < len(fields) && slots[i].test(fields[j]) && match(i+1, j+1)
		}
		seen[at] = !ok
		return ok
	}
	return match(0, 0)
}

// fieldsMeet tests fields one to one against plain slots.
func fieldsMeet(slots []slot, fields []string) bool {
	for i := range slots {
		if !slots[i].test(fields[i]) {
			return false
		}
	}
	return true
}
