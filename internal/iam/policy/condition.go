package policy

import (
	"net/netip"
	"sort"
	"strings"
)

// operator is a condition operator without its qualifiers; the negated
// ones (StringNotEquals...) are their positive twin with negated set.
type operator uint8

const (
	opStringEquals operator = iota
	opStringEqualsIgnoreCase
	opStringLike
	opNumericEquals
	opNumericLessThan
	opNumericLessThanEquals
	opNumericGreaterThan
	opNumericGreaterThanEquals
	opDateEquals
	opDateLessThan
	opDateLessThanEquals
	opDateGreaterThan
	opDateGreaterThanEquals
	opBool
	opBinaryEquals
	opIPAddress
	opARNLike
	opNull
)

type operatorInfo struct {
	op      operator
	negated bool
}

// operators lists every operator of the docs' condition-operators page,
// by lower-cased name. (ArnEquals and ArnLike behave identically, as do
// their negations.)
var operators = map[string]operatorInfo{
	"stringequals":              {opStringEquals, false},
	"stringnotequals":           {opStringEquals, true},
	"stringequalsignorecase":    {opStringEqualsIgnoreCase, false},
	"stringnotequalsignorecase": {opStringEqualsIgnoreCase, true},
	"stringlike":                {opStringLike, false},
	"stringnotlike":             {opStringLike, true},
	"numericequals":             {opNumericEquals, false},
	"numericnotequals":          {opNumericEquals, true},
	"numericlessthan":           {opNumericLessThan, false},
	"numericlessthanequals":     {opNumericLessThanEquals, false},
	"numericgreaterthan":        {opNumericGreaterThan, false},
	"numericgreaterthanequals":  {opNumericGreaterThanEquals, false},
	"dateequals":                {opDateEquals, false},
	"datenotequals":             {opDateEquals, true},
	"datelessthan":              {opDateLessThan, false},
	"datelessthanequals":        {opDateLessThanEquals, false},
	"dategreaterthan":           {opDateGreaterThan, false},
	"dategreaterthanequals":     {opDateGreaterThanEquals, false},
	"bool":                      {opBool, false},
	"binaryequals":              {opBinaryEquals, false},
	"ipaddress":                 {opIPAddress, false},
	"notipaddress":              {opIPAddress, true},
	"arnequals":                 {opARNLike, false},
	"arnlike":                   {opARNLike, false},
	"arnnotequals":              {opARNLike, true},
	"arnnotlike":                {opARNLike, true},
	"null":                      {opNull, false},
}

// setQualifier is the ForAllValues:/ForAnyValue: prefix of an operator.
type setQualifier uint8

const (
	setNone setQualifier = iota
	setForAllValues
	setForAnyValue
)

// condition is one key under one operator of a Condition block.
type condition struct {
	op       operator
	negated  bool
	ifExists bool
	set      setQualifier
	key      string
	keyLower string
	values   []conditionValue
}

// conditionValue is one value a condition compares with, read once at
// parse time into the form its operator compares.
type conditionValue struct {
	text    string
	pattern pattern // string and Bool operators
	arn     arnPattern
	number  float64
	instant int64 // nanoseconds since the epoch
	prefix  netip.Prefix
	binary  []byte
	null    bool // Null: true means "the key is absent"
	valid   bool // false when the value cannot be read for its operator
}

// parseOperator splits "ForAnyValue:StringLikeIfExists" into its parts.
// Operator names are matched without regard to case.
func parseOperator(name string) (info operatorInfo, set setQualifier, ifExists, ok bool) {
	lower := strings.ToLower(name)
	switch {
	case strings.HasPrefix(lower, "forallvalues:"):
		set = setForAllValues
		lower = lower[len("forallvalues:"):]
	case strings.HasPrefix(lower, "foranyvalue:"):
		set = setForAnyValue
		lower = lower[len("foranyvalue:"):]
	}
	if base, found := strings.CutSuffix(lower, "ifexists"); found {
		ifExists = true
		lower = base
	}
	info, ok = operators[lower]
	if ok && info.op == opNull && ifExists {
		// The docs: IfExists goes on any operator except Null.
		ok = false
	}
	return info, set, ifExists, ok
}

// parseConditions compiles a statement's Condition block. Conditions come
// out in a fixed order (by operator, then key) so that evaluation does
// not depend on map order. legacyOK is false when a date cannot be read:
// IAM's legacy parser refuses those, after its syntax checks.
func parseConditions(v any, variables bool) (conds []condition, err *Error, legacyOK bool) {
	block, ok := v.(map[string]any)
	if !ok {
		return nil, malformed(msgSyntax), true
	}
	legacyOK = true
	for _, opName := range sortedKeys(block) {
		keys, ok := block[opName].(map[string]any)
		if !ok {
			return nil, malformed(msgSyntax), true
		}
		info, set, ifExists, ok := parseOperator(opName)
		if !ok {
			return nil, malformed(msgSyntax), true
		}
		for _, key := range sortedKeys(keys) {
			texts, ok := conditionValueList(keys[key])
			if !ok {
				return nil, malformed(msgSyntax), true
			}
			c := condition{
				op:       info.op,
				negated:  info.negated,
				ifExists: ifExists,
				set:      set,
				key:      key,
				keyLower: strings.ToLower(key),
			}
			for _, text := range texts {
				value := parseConditionValue(info.op, text, variables)
				if !value.valid && isDateOperator(info.op) {
					legacyOK = false
				}
				c.values = append(c.values, value)
			}
			conds = append(conds, c)
		}
	}
	return conds, nil, legacyOK
}

func isNumericOperator(op operator) bool {
	return op >= opNumericEquals && op <= opNumericGreaterThanEquals
}

func isDateOperator(op operator) bool {
	return op >= opDateEquals && op <= opDateGreaterThanEquals
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// parseConditionValue reads one value for its operator. Variables are
// allowed where the docs allow them: string, ARN and Bool operators. A
// value that cannot be read for its operator is kept as invalid and never
// matches.
func parseConditionValue(op operator, text string, variables bool) conditionValue {
	v := conditionValue{text: text, valid: true}
	switch {
	case op == opStringEquals || op == opStringEqualsIgnoreCase || op == opBool:
		v.pattern = compilePattern(text, false, variables)
	case op == opStringLike:
		v.pattern = compilePattern(text, true, variables)
	case op == opARNLike:
		v.arn = compileARNPattern(text, variables)
	case isNumericOperator(op):
		v.number, v.valid = parseNumber(text)
	case isDateOperator(op):
		v.instant, v.valid = parseDate(text)
	case op == opBinaryEquals:
		v.binary, v.valid = parseBinary(text)
	case op == opIPAddress:
		v.prefix, v.valid = parseCIDR(text)
	case op == opNull:
		switch strings.ToLower(text) {
		case "true":
			v.null = true
		case "false":
		default:
			v.valid = false
		}
	}
	return v
}

// holds evaluates the condition against the request.
func (c *condition) holds(r *Request) bool {
	vals, found := r.lookup(c.key, c.keyLower)
	present := found && vals.len() > 0
	if c.op == opNull {
		for i := range c.values {
			if c.values[i].valid && c.values[i].null != present {
				return true
			}
		}
		return false
	}
	if !present {
		switch {
		case c.ifExists:
			return true
		case c.set == setForAllValues:
			// Every one of no values matches.
			return true
		case c.set == setForAnyValue:
			return false
		}
		// A key that is not there is "not equal" to anything.
		return c.negated
	}
	// Without a qualifier a positive operator needs one request value to
	// match, and a negated one needs every request value to match none of
	// the policy's: the same as ForAnyValue and ForAllValues.
	forAll := c.set == setForAllValues || (c.set == setNone && c.negated)
	for i := 0; i < vals.len(); i++ {
		ok := c.holdsFor(vals.at(i), r)
		if forAll && !ok {
			return false
		}
		if !forAll && ok {
			return true
		}
	}
	return forAll
}

// holdsFor applies the operator to one request value: a positive operator
// holds when one of the policy's values matches it, a negated one when
// none does. A policy value that cannot apply (an unresolved variable, a
// number that is not one) never matches, and makes a negated operator
// fail rather than succeed.
func (c *condition) holdsFor(value string, r *Request) bool {
	typed, readable := readRequestValue(c.op, value)
	for i := range c.values {
		matched, ok := c.values[i].matches(c.op, value, typed, readable, r)
		if c.negated && !ok {
			return false
		}
		if matched {
			return !c.negated
		}
	}
	return c.negated
}

// requestValue is a request's value read for a numeric, date or IP
// operator, once for all the policy's values.
type requestValue struct {
	number  float64
	instant int64
	addr    netip.Addr
}

func readRequestValue(op operator, s string) (v requestValue, ok bool) {
	switch {
	case isNumericOperator(op):
		v.number, ok = parseNumber(s)
	case isDateOperator(op):
		v.instant, ok = parseDate(s)
	case op == opIPAddress:
		v.addr, ok = parseAddr(s)
	default:
		ok = true
	}
	return v, ok
}

// matches compares one policy value with one request value. ok is false
// when the policy value cannot apply to this request.
func (v *conditionValue) matches(op operator, s string, typed requestValue, readable bool, r *Request) (matched, ok bool) {
	if !v.valid {
		return false, false
	}
	switch op {
	case opStringEquals, opStringLike:
		return v.pattern.match(s, false, r)
	case opStringEqualsIgnoreCase, opBool:
		return v.pattern.match(s, true, r)
	case opARNLike:
		return v.arn.match(s, r)
	case opBinaryEquals:
		return s == v.text || s == string(v.binary), true
	}
	if !readable {
		return false, true
	}
	switch op {
	case opNumericEquals:
		return typed.number == v.number, true
	case opNumericLessThan:
		return typed.number < v.number, true
	case opNumericLessThanEquals:
		return typed.number <= v.number, true
	case opNumericGreaterThan:
		return typed.number > v.number, true
	case opNumericGreaterThanEquals:
		return typed.number >= v.number, true
	case opDateEquals:
		return typed.instant == v.instant, true
	case opDateLessThan:
		return typed.instant < v.instant, true
	case opDateLessThanEquals:
		return typed.instant <= v.instant, true
	case opDateGreaterThan:
		return typed.instant > v.instant, true
	case opDateGreaterThanEquals:
		return typed.instant >= v.instant, true
	case opIPAddress:
		return v.prefix.Contains(typed.addr), true
	}
	return false, true
}
