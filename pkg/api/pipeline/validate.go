package pipeline

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"
)

// validator collects constraint violations of one request the way AWS's
// Coral front end reports them: "N validation error(s) detected: Value 'x'
// at 'memberName' failed to satisfy constraint: …; …". Members are named in
// lowerCamelCase, as AWS does.
type Validator struct {
	problems []string
	code     string
}

// newValidator starts a validation whose error carries code (ValidationError
// for query services; ValidationException, InvalidInputException… for JSON ones).
func NewValidator(code string) *Validator { return &Validator{code: code} }

func (v *Validator) Add(value, member, constraint string) {
	v.problems = append(v.problems, fmt.Sprintf("Value %s at '%s' failed to satisfy constraint: %s", value, member, constraint))
}

func QuoteValue(s string) string { return "'" + s + "'" }

// required reports a missing member.
func (v *Validator) Required(member string, present bool) bool {
	if !present {
		v.Add("null", LowerFirst(member), "Member must not be null")
	}
	return present
}

// length checks a string's length in characters.
func (v *Validator) Length(member, s string, min, max int) {
	n := utf8.RuneCountInString(s)
	switch {
	case n < min:
		v.Add(QuoteValue(s), LowerFirst(member), fmt.Sprintf("Member must have length greater than or equal to %d", min))
	case max > 0 && n > max:
		v.Add(QuoteValue(s), LowerFirst(member), fmt.Sprintf("Member must have length less than or equal to %d", max))
	}
}

// Pattern checks a string against the model's pattern.
func (v *Validator) Pattern(member, s string, re *Pattern) {
	v.Matches(member, s, re.String(), re.MatchString)
}

// Matches is Pattern for a pattern checked by hand: match accepts what
// pattern (quoted in the message) does.
func (v *Validator) Matches(member, s, pattern string, match func(string) bool) {
	if !match(s) {
		v.Add(QuoteValue(s), LowerFirst(member), "Member must satisfy regular expression pattern: "+pattern)
	}
}

// between checks an integer range.
func (v *Validator) Between(member string, n, min, max int64) {
	switch {
	case n < min:
		v.Add(QuoteValue(fmt.Sprint(n)), LowerFirst(member), fmt.Sprintf("Member must have value greater than or equal to %d", min))
	case n > max:
		v.Add(QuoteValue(fmt.Sprint(n)), LowerFirst(member), fmt.Sprintf("Member must have value less than or equal to %d", max))
	}
}

// oneOf checks an enum.
func (v *Validator) OneOf(member, s string, allowed ...string) {
	for _, a := range allowed {
		if s == a {
			return
		}
	}
	v.Add(QuoteValue(s), LowerFirst(member), "Member must satisfy enum value set: ["+strings.Join(allowed, ", ")+"]")
}

// err is nil when nothing was violated.
func (v *Validator) Err() error {
	if len(v.problems) == 0 {
		return nil
	}
	noun := "error"
	if len(v.problems) > 1 {
		noun = "errors"
	}
	return NewError(http.StatusBadRequest, v.code, "%d validation %s detected: %s",
		len(v.problems), noun, strings.Join(v.problems, "; "))
}

func LowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// AccountIDPattern is an AWS account id: twelve digits.
var AccountIDPattern = NewPattern(`^\d{12}$`)

// Pattern is a regular expression compiled when it is first used. The
// services' expressions, compiled at init, were 1.5 ms of every start
// (most of them for calls a run may never make); TestPatternsCompile
// compiles every one, so a bad expression still fails before it ships.
type Pattern struct {
	expr     string
	compiled func() *regexp.Regexp
}

// patterns are every Pattern made, for TestPatternsCompile.
var patterns []*Pattern

// NewPattern returns a Pattern of expr, compiled on first use.
func NewPattern(expr string) *Pattern {
	p := &Pattern{expr: expr, compiled: sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })}
	patterns = append(patterns, p)
	return p
}

// CompilePatterns compiles every Pattern the binary holds and returns the
// first that does not compile.
func CompilePatterns() error {
	for _, p := range patterns {
		if _, err := regexp.Compile(p.expr); err != nil {
			return err
		}
	}
	return nil
}

// PatternCount is how many Patterns the binary holds.
func PatternCount() int { return len(patterns) }

// String is the expression.
func (p *Pattern) String() string { return p.expr }

// MatchString reports whether s contains a match of the expression.
func (p *Pattern) MatchString(s string) bool { return p.compiled().MatchString(s) }

// FindStringSubmatch is regexp's FindStringSubmatch.
func (p *Pattern) FindStringSubmatch(s string) []string { return p.compiled().FindStringSubmatch(s) }

// ReplaceAllString is regexp's ReplaceAllString.
func (p *Pattern) ReplaceAllString(s, repl string) string {
	return p.compiled().ReplaceAllString(s, repl)
}

// ReplaceAllStringFunc is regexp's ReplaceAllStringFunc.
func (p *Pattern) ReplaceAllStringFunc(s string, repl func(string) string) string {
	return p.compiled().ReplaceAllStringFunc(s, repl)
}
