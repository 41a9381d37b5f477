package pipeline

import (
	"fmt"
	"strings"
	"unicode"
)

// CharClass is a set of ASCII characters, for checking a value against a
// model pattern like ^[A-Za-z0-9_-]{1,80}$ without a regexp: a regexp's
// bounded repetition compiles to one copy of its class per count, so the
// services' patterns cost milliseconds of every start, while a CharClass
// costs nothing to build and accepts exactly the same strings.
type CharClass [2]uint64

// NewCharClass returns the class that a regexp character class body spells
// with literal characters and ranges: "A-Za-z0-9_.-" (a '-' that ends the
// body is literal). It panics on a non-ASCII character or an empty range:
// classes are constants of the program.
func NewCharClass(body string) CharClass {
	var c CharClass
	for i := 0; i < len(body); i++ {
		lo, hi := body[i], body[i]
		if i+2 < len(body) && body[i+1] == '-' {
			hi = body[i+2]
			i += 2
		}
		if hi >= 0x80 || lo > hi {
			panic(fmt.Sprintf("pipeline: bad character class %q", body))
		}
		for b := lo; b <= hi; b++ {
			c[b/64] |= 1 << (b % 64)
		}
	}
	return c
}

// Has reports whether b is in the class.
func (c CharClass) Has(b byte) bool { return b < 0x80 && c[b/64]&(1<<(b%64)) != 0 }

// Match reports whether s is min to max characters of the class, as
// ^[class]{min,max}$ does (a class of ASCII characters only: a string it
// accepts has as many bytes as characters).
func (c CharClass) Match(s string, min, max int) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !c.Has(s[i]) {
			return false
		}
	}
	return true
}

// TagKeyPattern and TagValuePattern are the IAM and STS models' tag
// patterns, which IsTagKey and IsTagValue check.
const (
	TagKeyPattern   = `^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$`
	TagValuePattern = `^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`
)

// IsTagKey reports whether s matches TagKeyPattern.
func IsTagKey(s string) bool { return s != "" && IsTagText(s) }

// IsTagValue reports whether s matches TagValuePattern.
func IsTagValue(s string) bool { return IsTagText(s) }

// tagPunctuation is what a tag key or value may hold besides letters,
// spaces and numbers.
const tagPunctuation = "_.:/=+-@"

// IsTagText reports whether every character of s is a letter, a separator,
// a number or one of _.:/=+-@, as the IAM, STS and Organizations models'
// tag pattern ^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$ says (an empty s passes; a
// byte that is not UTF-8 does not, as in a regexp).
func IsTagText(s string) bool {
	for _, r := range s {
		if !unicode.In(r, unicode.L, unicode.Z, unicode.N) && !strings.ContainsRune(tagPunctuation, r) {
			return false
		}
	}
	return true
}
