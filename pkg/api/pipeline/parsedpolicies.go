package pipeline

import (
	"sync"

	"github.com/rootaccess/emulator/pkg/policy"
)

// parsedPolicies holds parsed policy documents by kind and text, so that
// authorizing a request does not parse again the same identity policies,
// SCPs, RCPs and resource policies (a parse was a tenth of an AssumeRoot's
// authorization). A document is read-only once parsed, and the text is the
// whole key, so an entry can never be stale: a changed policy is another
// text. Failures are not kept. The cache is emptied when it grows past its
// bound.
var parsedPolicies = struct {
	sync.Mutex
	docs map[parsedPolicyKey]*policy.Document
}{docs: map[parsedPolicyKey]*policy.Document{}}

type parsedPolicyKey struct {
	kind policy.Kind
	// anyKind: parsed with policy.Parse (identity or resource policy).
	anyKind bool
	text    string
}

const parsedPoliciesBound = 4096

// parsedPolicy is policy.ParseAs(text, kind), once per text.
func parsedPolicy(text string, kind policy.Kind) (*policy.Document, error) {
	return cachedParse(parsedPolicyKey{kind: kind, text: text}, func() (*policy.Document, error) {
		return policy.ParseAs([]byte(text), kind)
	})
}

// parsedAnyPolicy is policy.Parse(text), once per text.
func parsedAnyPolicy(text string) (*policy.Document, error) {
	return cachedParse(parsedPolicyKey{anyKind: true, text: text}, func() (*policy.Document, error) {
		return policy.Parse([]byte(text))
	})
}

func cachedParse(k parsedPolicyKey, parse func() (*policy.Document, error)) (*policy.Document, error) {
	parsedPolicies.Lock()
	doc, ok := parsedPolicies.docs[k]
	parsedPolicies.Unlock()
	if ok {
		return doc, nil
	}
	doc, err := parse()
	if err != nil {
		return nil, err
	}
	parsedPolicies.Lock()
	if len(parsedPolicies.docs) >= parsedPoliciesBound {
		clear(parsedPolicies.docs)
	}
	parsedPolicies.docs[k] = doc
	parsedPolicies.Unlock()
	return doc, nil
}
