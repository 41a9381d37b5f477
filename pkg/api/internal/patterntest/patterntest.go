// Package patterntest proves that a hand-written check accepts exactly
// what the regexp it replaced did (the services check their model patterns
// by hand so as not to compile large regexps at every start).
package patterntest

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// Case is one replaced pattern: the regexp as it was, the check that
// replaces it, the characters worth trying, and strings it accepts
// (mutated to reach its boundaries).
type Case struct {
	Name     string
	Pattern  string
	Check    func(string) bool
	Alphabet string
	Valid    []string
	// MaxLen bounds the random strings' length in characters.
	MaxLen int
}

// Run compares the check with the regexp on the valid strings, on
// thousands of their mutations (a character inserted, removed or replaced,
// the string cut or doubled) and on random strings of the alphabet and a
// few characters outside it; the first disagreement fails the test.
func Run(t *testing.T, cases []Case) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			re := regexp.MustCompile(c.Pattern)
			alphabet := strings.Split(c.Alphabet, "")
			alphabet = append(alphabet, outsiders...)
			rng := rand.New(rand.NewPCG(1, 2))
			randomRune := func() string { return alphabet[rng.IntN(len(alphabet))] }
			tried, accepted := 0, 0
			try := func(s string) {
				tried++
				want := re.MatchString(s)
				if want {
					accepted++
				}
				if got := c.Check(s); got != want {
					t.Fatalf("%q: the check says %v, the pattern %s says %v", s, got, c.Pattern, want)
				}
			}
			try("")
			for _, v := range c.Valid {
				if !re.MatchString(v) {
					t.Fatalf("example %q does not match %s", v, c.Pattern)
				}
				try(v)
				for range 2000 {
					try(mutate(rng, v, randomRune))
				}
			}
			for range 5000 {
				var b strings.Builder
				for range rng.IntN(c.MaxLen + 3) {
					b.WriteString(randomRune())
				}
				try(b.String())
			}
			if accepted == 0 || accepted == tried {
				t.Fatalf("%d of %d strings matched: the case proves nothing", accepted, tried)
			}
		})
	}
}

// outsiders are characters tried with every alphabet: spaces, common
// punctuation, non-ASCII letters and symbols, and bytes that are not UTF-8.
var outsiders = []string{" ", "\t", "\n", ".", "-", "_", "/", ":", "@", "~", "\x00", "\x7f", "é", "€", "\u00a0", "\U0001F600", "\xff", "\xc3"}

// mutate applies one to three random edits to s.
func mutate(rng *rand.Rand, s string, randomRune func() string) string {
	for range 1 + rng.IntN(3) {
		r := []rune(s)
		i := 0
		if len(r) > 0 {
			i = rng.IntN(len(r) + 1)
		}
		switch rng.IntN(6) {
		case 0: // insert
			s = string(r[:i]) + randomRune() + string(r[i:])
		case 1: // remove
			if i < len(r) {
				s = string(r[:i]) + string(r[i+1:])
			}
		case 2: // replace
			if i < len(r) {
				s = string(r[:i]) + randomRune() + string(r[i+1:])
			}
		case 3: // cut
			s = string(r[:i])
		case 4: // double a part
			s = string(r[:i]) + string(r[i/2:])
		case 5: // repeat a character
			if i < len(r) {
				s = string(r[:i]) + strings.Repeat(string(r[i]), rng.IntN(200)) + string(r[i:])
			}
		}
	}
	return s
}
