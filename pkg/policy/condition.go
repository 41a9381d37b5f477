package policy

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Condition is one (operator, key, values) triple from a Condition block.
// A statement's conditions all have to hold (AND); the Values of one
// condition are alternatives (OR).
type Condition struct {
	// Operator is the operator exactly as written, e.g.
	// "ForAnyValue:StringLikeIfExists".
	Operator string
	// Key is the condition key as written; lookups are case-insensitive.
	Key string
	// Values are the policy values; JSON booleans and numbers are kept as
	// their literal text.
	Values []string

	op operator
}

// family groups operators that share a comparison.
type family int

const (
	famString family = iota
	famStringIgnoreCase
	famStringLike
	famNumeric
	famDate
	famBool
	famBinary
	famIP
	famArn
	famNull
)

// comparison is the relation tested by Numeric* and Date* operators.
type comparison int

const (
	cmpEq comparison = iota
	cmpLt
	cmpLe
	cmpGt
	cmpGe
)

// qualifier is a set operator prefix for multi-valued keys.
type qualifier int

const (
	qualNone qualifier = iota
	qualForAnyValue
	qualForAllValues
)

// operator is a parsed condition operator name.
type operator struct {
	fam      family
	cmp      comparison
	negated  bool // StringNotEquals, NotIpAddress, ArnNotLike, …
	ifExists bool
	qual     qualifier
}

// baseOperators lists every operator name IAM documents (without the
// IfExists suffix and set-qualifier prefix).
var baseOperators = map[string]operator{
	"StringEquals":              {fam: famString},
	"StringNotEquals":           {fam: famString, negated: true},
	"StringEqualsIgnoreCase":    {fam: famStringIgnoreCase},
	"StringNotEqualsIgnoreCase": {fam: famStringIgnoreCase, negated: true},
	"StringLike":                {fam: famStringLike},
	"StringNotLike":             {fam: famStringLike, negated: true},
	"NumericEquals":             {fam: famNumeric, cmp: cmpEq},
	"NumericNotEquals":          {fam: famNumeric, cmp: cmpEq, negated: true},
	"NumericLessThan":           {fam: famNumeric, cmp: cmpLt},
	"NumericLessThanEquals":     {fam: famNumeric, cmp: cmpLe},
	"NumericGreaterThan":        {fam: famNumeric, cmp: cmpGt},
	"NumericGreaterThanEquals":  {fam: famNumeric, cmp: cmpGe},
	"DateEquals":                {fam: famDate, cmp: cmpEq},
	"DateNotEquals":             {fam: famDate, cmp: cmpEq, negated: true},
	"DateLessThan":              {fam: famDate, cmp: cmpLt},
	"DateLessThanEquals":        {fam: famDate, cmp: cmpLe},
	"DateGreaterThan":           {fam: famDate, cmp: cmpGt},
	"DateGreaterThanEquals":     {fam: famDate, cmp: cmpGe},
	"Bool":                      {fam: famBool},
	"BinaryEquals":              {fam: famBinary},
	"IpAddress":                 {fam: famIP},
	"NotIpAddress":              {fam: famIP, negated: true},
	// ArnEquals and ArnLike behave identically in IAM: both compare the six
	// ARN components separately and both accept wildcards.
	"ArnEquals":    {fam: famArn},
	"ArnLike":      {fam: famArn},
	"ArnNotEquals": {fam: famArn, negated: true},
	"ArnNotLike":   {fam: famArn, negated: true},
	"Null":         {fam: famNull},
}

// parseOperator parses "[ForAnyValue:|ForAllValues:]<Base>[IfExists]".
// Operator names are case-sensitive, as in IAM.
func parseOperator(name string) (operator, error) {
	rest := name
	q := qualNone
	switch {
	case strings.HasPrefix(rest, "ForAnyValue:"):
		q, rest = qualForAnyValue, strings.TrimPrefix(rest, "ForAnyValue:")
	case strings.HasPrefix(rest, "ForAllValues:"):
		q, rest = qualForAllValues, strings.TrimPrefix(rest, "ForAllValues:")
	}
	ifExists := false
	if base, ok := strings.CutSuffix(rest, "IfExists"); ok {
		rest, ifExists = base, true
	}
	op, ok := baseOperators[rest]
	if !ok {
		return operator{}, fmt.Errorf("Invalid Condition type : %s", name)
	}
	if op.fam == famNull && (ifExists || q != qualNone) {
		// Null is itself an existence test; AWS has no NullIfExists and no
		// set-qualified Null.
		return operator{}, fmt.Errorf("Invalid Condition type : %s", name)
	}
	op.ifExists, op.qual = ifExists, q
	return op, nil
}

// evalContext carries what condition evaluation needs from the request.
type evalContext struct {
	lookup    func(string) ([]string, bool)
	variables bool
}

// eval decides one condition against the request.
//
// Missing-key semantics, as documented in "IAM JSON policy elements:
// Condition operators": "If the key that you specify in a policy condition
// is not present in the request context, the values do not match and the
// condition is false. If the policy condition requires that the key is not
// matched, such as StringNotLike or ArnNotLike, and the right key is not
// present, the condition is true. This logic applies to all condition
// operators except ...IfExists and Null check." So, for a missing key:
//
//	positive operator             → false
//	negated operator              → true
//	…IfExists (either polarity)   → true
//	ForAllValues:…                → true  ("also returns true if there are no context keys")
//	ForAnyValue:… (no IfExists)   → false
//
// A key present with an empty value list is treated as missing.
func (c *Condition) eval(ctx evalContext) bool {
	vals, present := ctx.lookup(c.Key)
	present = present && len(vals) > 0
	if c.op.fam == famNull {
		return c.evalNull(present)
	}
	if !present {
		switch c.op.qual {
		case qualForAllValues:
			return true
		case qualForAnyValue:
			return c.op.ifExists
		default:
			return c.op.ifExists || c.op.negated
		}
	}
	// test is the per-request-value outcome, including negation: for a
	// negated operator a request value passes when it matches NONE of the
	// policy values.
	test := func(v string) bool { return c.matchesAny(v, ctx) != c.op.negated }
	switch c.op.qual {
	case qualForAllValues:
		for _, v := range vals {
			if !test(v) {
				return false
			}
		}
		return true
	case qualForAnyValue:
		for _, v := range vals {
			if test(v) {
				return true
			}
		}
		return false
	default:
		// Without a set qualifier the key should be single-valued. If the
		// context holds several values anyway we treat it as "any request
		// value matches any policy value", negated as "none does" — the
		// natural generalisation; AWS documents no behaviour for this.
		found := false
		for _, v := range vals {
			if c.matchesAny(v, ctx) {
				found = true
				break
			}
		}
		return found != c.op.negated
	}
}

// evalNull implements the Null operator: value "true" holds when the key is
// absent, "false" when it is present. Values OR together; other values never
// hold.
func (c *Condition) evalNull(present bool) bool {
	for _, v := range c.Values {
		switch strings.ToLower(v) {
		case "true":
			if !present {
				return true
			}
		case "false":
			if present {
				return true
			}
		}
	}
	return false
}

// matchesAny reports whether the request value matches at least one policy
// value, in the positive sense of the operator family.
func (c *Condition) matchesAny(reqVal string, ctx evalContext) bool {
	for _, pv := range c.Values {
		if c.matchOne(pv, reqVal, ctx) {
			return true
		}
	}
	return false
}

// matchOne compares one policy value to one request value. Policy values
// that cannot be interpreted (bad number, bad CIDR, unresolvable variable)
// match nothing — so their negated operator holds — rather than failing the
// whole evaluation.
func (c *Condition) matchOne(policyVal, reqVal string, ctx evalContext) bool {
	switch c.op.fam {
	case famString, famStringIgnoreCase:
		p, ok := compile(policyVal, compileOptions{variables: ctx.variables}, ctx.lookup)
		if !ok {
			return false
		}
		if c.op.fam == famStringIgnoreCase {
			return strings.EqualFold(p.String(), reqVal)
		}
		return p.String() == reqVal
	case famStringLike:
		p, ok := compile(policyVal, compileOptions{wildcards: true, variables: ctx.variables}, ctx.lookup)
		return ok && p.match(reqVal)
	case famArn:
		p, ok := compile(policyVal, compileOptions{wildcards: true, variables: ctx.variables}, ctx.lookup)
		return ok && p.matchARN(reqVal)
	case famNumeric:
		a, err1 := parseNumber(reqVal)
		b, err2 := parseNumber(policyVal)
		return err1 == nil && err2 == nil && compareOrdered(a, b, c.op.cmp)
	case famDate:
		a, err1 := parseDate(reqVal)
		b, err2 := parseDate(policyVal)
		return err1 == nil && err2 == nil && compareOrdered(a.UnixNano(), b.UnixNano(), c.op.cmp)
	case famBool:
		return strings.EqualFold(strings.TrimSpace(policyVal), strings.TrimSpace(reqVal))
	case famBinary:
		pb, err1 := base64.StdEncoding.DecodeString(policyVal)
		rb, err2 := base64.StdEncoding.DecodeString(reqVal)
		if err1 != nil || err2 != nil {
			return policyVal == reqVal
		}
		return bytes.Equal(pb, rb)
	case famIP:
		prefix, err := parsePrefix(policyVal)
		if err != nil {
			return false
		}
		addr, err := netip.ParseAddr(strings.TrimSpace(reqVal))
		if err != nil {
			return false
		}
		return prefix.Contains(addr.Unmap())
	}
	return false
}

// compareOrdered applies cmp to request value a and policy value b
// ("request < policy" for LessThan).
func compareOrdered[T int64 | float64](a, b T, cmp comparison) bool {
	switch cmp {
	case cmpEq:
		return a == b
	case cmpLt:
		return a < b
	case cmpLe:
		return a <= b
	case cmpGt:
		return a > b
	case cmpGe:
		return a >= b
	}
	return false
}

func parseNumber(s string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return 0, err
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, errors.New("not a finite number")
	}
	return f, nil
}

// dateLayouts are the ISO 8601 forms accepted by Date* operators. Values
// without a zone are UTC.
var dateLayouts = []string{
	time.RFC3339Nano, // also accepts no fractional part
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04",
	"20060102T150405Z0700",
	"20060102T150405Z",
	"2006-01-02",
}

// parseDate accepts ISO 8601 date/times or epoch seconds (aws:EpochTime,
// optionally fractional), as the Date* operators do.
func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, errors.New("empty date")
	}
	if isEpoch(s) {
		f, err := strconv.ParseFloat(s, 64)
		// Bound to ±~292 years so UnixNano cannot overflow.
		if err != nil || math.Abs(f) > 9e9 {
			return time.Time{}, errors.New("epoch out of range")
		}
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
	}
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			if t.Year() < 1678 || t.Year() > 2261 { // UnixNano range
				return time.Time{}, errors.New("date out of range")
			}
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("unrecognised date %q", s)
}

func isEpoch(s string) bool {
	digits, dot := 0, false
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '-' && i == 0:
		case r == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return digits > 0
}

// parsePrefix accepts a CIDR block or a bare address (meaning that single
// address).
func parsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		if p.Addr().Is4In6() {
			bits := p.Bits() - 96
			if bits < 0 {
				return netip.Prefix{}, errors.New("bad IPv4-mapped prefix")
			}
			p = netip.PrefixFrom(p.Addr().Unmap(), bits)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}
