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
// Context keys are case-insensitive. Multivalued keys cannot be used as
// variables ("You can't use a multivalued condition key as a variable"):
// a key holding several values, or one of AWS's multivalued global keys
// even when it holds a single value, resolves like a missing key.
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
	if vals, ok := lookup(key); ok && len(vals) == 1 && !multivaluedKeys[strings.ToLower(key)] {
		return vals[0], true
	}
	if hasDefault {
		return def, true
	}
	return "", false
}

// multivaluedKeys are the global condition keys AWS documents as
// multivalued (lower-cased), which can never be policy variables.
var multivaluedKeys = map[string]bool{
	"aws:calledvia":                 true,
	"aws:principalorgpaths":         true,
	"aws:principalservicenameslist": true,
	"aws:resourceorgpaths":          true,
	"aws:sourceorgpaths":            true,
	"aws:tagkeys":                   true,
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
// resource ARN: case-sensitive glob over the whole string. Policy variables
// are substituted only in the resource portion of the ARN, after the fifth
// colon ("You can't use a variable to replace parts of the ARN before the
// fifth colon, such as the service or account", IAM User Guide, "Variables
// and tags"); before it, "${…}" is literal text, so
// arn:aws:sqs:us-east-1:${aws:PrincipalAccount}:q matches no real queue.
// resolved is false when a variable in the resource portion has no value and
// no default: then the entry matches nothing.
func matchResource(policyResource, requestResource string, variables bool, lookup func(string) ([]string, bool)) (matched, resolved bool) {
	if policyResource == "*" {
		return true, true
	}
	split := resourcePortionStart(policyResource)
	if !variables || split < 0 {
		p, _ := compile(policyResource, compileOptions{wildcards: true}, nil)
		return p.match(requestResource), true
	}
	prefix, _ := compile(policyResource[:split], compileOptions{wildcards: true}, nil)
	suffix, ok := compile(policyResource[split:], compileOptions{wildcards: true, variables: true}, lookup)
	if !ok {
		return false, false
	}
	return append(prefix, suffix...).match(requestResource), true
}

// resourcePortionStart returns the index just after the fifth colon of an
// ARN pattern, or -1 if it has fewer than five. Colons inside "${…}" do not
// count: the colon of ${aws:PrincipalAccount} is part of a variable name,
// not an ARN separator.
func resourcePortionStart(s string) int {
	colons := 0
	for i := 0; i < len(s); i++ {
		if strings.HasPrefix(s[i:], "${") {
			if end := strings.IndexByte(s[i+2:], '}'); end >= 0 {
				i += 2 + end
				continue
			}
		}
		if s[i] == ':' {
			colons++
			if colons == 5 {
				return i + 1
			}
		}
	}
	return -1
}
