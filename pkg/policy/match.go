package policy

import (
	"strings"
	"unicode/utf8"
)

// IAM wildcards are globs, not regular expressions: '*' matches any run of
// characters (including none and including '/' and ':'), '?' matches exactly
// one character, and every other character — '.', '+', '[', '(' … — is
// literal. Patterns are tokenised rather than translated to regexp so that
// text coming from a policy variable (or the ${*} / ${?} escapes) stays
// literal even when it contains '*' or '?'.

// tokenKind distinguishes literal characters from wildcards.
type tokenKind uint8

const (
	tokLiteral tokenKind = iota
	tokStar              // '*'
	tokOne               // '?'
)

type token struct {
	kind tokenKind
	r    rune
}

// pattern is a compiled glob.
type pattern []token

// compileOptions says how a policy string is turned into a pattern.
type compileOptions struct {
	wildcards bool // '*' and '?' are wildcards (Like operators, Resource, Action)
	variables bool // ${...} is a policy variable (Version 2012-10-17 only)
}

// compile turns a policy string into a pattern, substituting policy
// variables from lookup. ok is false when a variable has no value and no
// default: AWS then treats that policy value as not matching anything.
func compile(s string, opts compileOptions, lookup func(string) ([]string, bool)) (p pattern, ok bool) {
	p = make(pattern, 0, len(s))
	for i := 0; i < len(s); {
		if opts.variables && strings.HasPrefix(s[i:], "${") {
			if end := strings.IndexByte(s[i+2:], '}'); end >= 0 {
				body := s[i+2 : i+2+end]
				val, resolved := resolveVariable(body, lookup)
				if !resolved {
					return nil, false
				}
				for _, r := range val {
					p = append(p, token{kind: tokLiteral, r: r})
				}
				i += 2 + end + 1
				continue
			}
			// An unterminated "${" is plain text.
		}
		// Invalid UTF-8 decodes to U+FFFD, as []rune(subject) does in match.
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case opts.wildcards && r == '*':
			p = append(p, token{kind: tokStar})
		case opts.wildcards && r == '?':
			p = append(p, token{kind: tokOne})
		default:
			p = append(p, token{kind: tokLiteral, r: r})
		}
	}
	return p, true
}

// resolveVariable resolves the body of ${...}. Supported forms:
//
//	${*} ${?} ${$}           literal '*', '?', '$' (AWS's escapes)
//	${aws:username}          value of a single-valued context key
//	${aws:username, 'dflt'}  with a default used when the key is missing
//
// Context keys are case-insensitive. Multi-valued keys cannot be used as
// variables (AWS documents this); they resolve like a missing key.
func resolveVariable(body string, lookup func(string) ([]string, bool)) (string, bool) {
	switch body {
	case "*", "?", "$":
		return body, true
	}
	key, def, hasDefault := strings.Cut(body, ",")
	key = strings.TrimSpace(key)
	if hasDefault {
		def = strings.TrimSpace(def)
		if len(def) < 2 || def[0] != '\'' || def[len(def)-1] != '\'' {
			return "", false // malformed default: treat as unresolvable
		}
		def = def[1 : len(def)-1]
	}
	if vals, ok := lookup(key); ok && len(vals) == 1 {
		return vals[0], true
	}
	if hasDefault {
		return def, true
	}
	return "", false
}

// String renders the pattern's literal text (wildcards as '*' / '?'). For a
// pattern compiled without wildcards this is the variable-substituted value.
func (p pattern) String() string {
	var b strings.Builder
	for _, t := range p {
		switch t.kind {
		case tokStar:
			b.WriteByte('*')
		case tokOne:
			b.WriteByte('?')
		default:
			b.WriteRune(t.r)
		}
	}
	return b.String()
}

// match reports whether the whole subject matches the pattern. It is the
// classic linear-space glob algorithm: on mismatch, backtrack to the most
// recent '*' and let it absorb one more character. Worst case
// O(len(p)*len(s)), never exponential.
func (p pattern) match(subject string) bool {
	s := []rune(subject)
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(s) {
		if pi < len(p) {
			switch t := p[pi]; {
			case t.kind == tokStar:
				starP, starS = pi, si
				pi++
				continue
			case t.kind == tokOne || t.r == s[si]:
				pi++
				si++
				continue
			}
		}
		if starP < 0 {
			return false
		}
		starS++
		pi, si = starP+1, starS
	}
	for pi < len(p) && p[pi].kind == tokStar {
		pi++
	}
	return pi == len(p)
}

// splitARN splits a pattern at its first five literal ':' into the six ARN
// components. ok is false when it has fewer than six components.
func (p pattern) splitARN() (parts [6]pattern, ok bool) {
	n, start := 0, 0
	for i, t := range p {
		if n == 5 {
			break
		}
		if t.kind == tokLiteral && t.r == ':' {
			parts[n] = p[start:i]
			n++
			start = i + 1
		}
	}
	if n != 5 {
		return parts, false
	}
	parts[5] = p[start:]
	return parts, true
}

// matchARN implements ArnEquals/ArnLike: each of the six colon-delimited
// components is matched separately, so a '*' never spans a ':' except inside
// the final resource component. A policy value without any ':' (such as a
// bare "*") is a whole-string glob; one with 2–5 components is not an ARN
// and matches nothing.
func (p pattern) matchARN(arn string) bool {
	pp, ok := p.splitARN()
	if !ok {
		for _, t := range p {
			if t.kind == tokLiteral && t.r == ':' {
				return false
			}
		}
		return p.match(arn)
	}
	sp := strings.SplitN(arn, ":", 6)
	if len(sp) != 6 {
		return false
	}
	for i := range pp {
		if !pp[i].match(sp[i]) {
			return false
		}
	}
	return true
}

// Match reports whether s matches pattern as a Resource is matched, without
// policy variables: a case-sensitive glob over the whole string where '*'
// matches any run of characters and '?' exactly one.
func Match(pattern, s string) bool {
	p, _ := compile(pattern, compileOptions{wildcards: true}, nil)
	return p.match(s)
}

// matchAction matches a policy action against a request action. Service
// prefixes and action names are case-insensitive in IAM.
func matchAction(policyAction, requestAction string) bool {
	if policyAction == "*" {
		return true
	}
	p, _ := compile(strings.ToLower(policyAction), compileOptions{wildcards: true}, nil)
	return p.match(strings.ToLower(requestAction))
}

// matchResource matches a Resource/NotResource entry against the request's
// resource ARN: case-sensitive glob over the whole string, with policy
// variables. A value whose variable cannot be resolved matches nothing.
func matchResource(policyResource, requestResource string, variables bool, lookup func(string) ([]string, bool)) bool {
	if policyResource == "*" {
		return true
	}
	p, ok := compile(policyResource, compileOptions{wildcards: true, variables: variables}, lookup)
	return ok && p.match(requestResource)
}
