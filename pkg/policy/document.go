// Package policy parses and evaluates AWS IAM policy documents.
//
// It implements the parts of the IAM policy language the emulator needs to
// be faithful: Statement/Effect/Action/NotAction/Resource/NotResource/
// Principal/NotPrincipal/Condition, wildcard matching, policy variables,
// every documented condition operator family with IfExists and the
// ForAnyValue/ForAllValues set qualifiers, and the way IAM combines
// identity, session and resource-based policies — limited by AWS
// Organizations service control and resource control policies — for one
// request.
//
// It also embeds the five AWS-managed root-task policies used by
// sts:AssumeRoot (see tasks.go) and the AWS-managed Organizations policies
// FullAWSAccess and RCPFullAWSAccess (see orgpolicy.go).
package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"
)

// ErrMalformed is wrapped by every error Parse and ParseAs return, so callers
// can map it to IAM's MalformedPolicyDocument (or the S3/SQS equivalent).
var ErrMalformed = errors.New("malformed policy document")

// Kind selects which structural rules ParseAs enforces.
type Kind int

const (
	// IdentityPolicy is an identity-based or session policy: statements must
	// not name a Principal and must name a Resource or NotResource.
	IdentityPolicy Kind = iota
	// ResourcePolicy is a resource-based policy (bucket policy, queue
	// policy, role trust policy): every statement must name a Principal or
	// NotPrincipal. Resource is optional because role trust policies have
	// none; services that require it (S3, SQS) can check Statement.Resource.
	ResourcePolicy
	// ServiceControlPolicy is an AWS Organizations SCP, as CreatePolicy and
	// UpdatePolicy validate it: at most MaxOrganizationPolicySize
	// characters, Version "2012-10-17", no Principal or NotPrincipal, every
	// statement with a Resource or NotResource. Since September 2025 SCPs
	// support the rest of the IAM language in Allow and Deny statements
	// alike (Condition, NotAction, NotResource, resource ARNs, wildcards
	// anywhere in an action name).
	ServiceControlPolicy
	// ResourceControlPolicy is an AWS Organizations RCP a customer writes:
	// at most MaxOrganizationPolicySize characters, Version "2012-10-17",
	// Effect "Deny" only (Allow is reserved to the AWS-managed
	// RCPFullAWSAccess), Principal exactly "*", Action required and naming a
	// service RCPs support (not a bare "*"), Resource or NotResource
	// required, and no NotPrincipal or NotAction.
	ResourceControlPolicy
)

// MaxOrganizationPolicySize is the maximum size of an SCP or RCP document in
// characters, whitespace included (Organizations quotas: 5,120 characters).
const MaxOrganizationPolicySize = 5120

// MalformedOrganizationPolicyMessage is the message AWS Organizations gives
// with MalformedPolicyDocumentException whatever is wrong with an SCP or
// RCP. The ParseAs error's detail (after "malformed policy document: ")
// says what is wrong.
const MalformedOrganizationPolicyMessage = "The provided policy document does not meet the requirements of the specified policy type."

// ErrPolicyTooLarge is returned by ParseAs for an SCP or RCP longer than
// MaxOrganizationPolicySize. It does not wrap ErrMalformed: Organizations
// answers it with ConstraintViolationException, reason
// POLICY_CONTENT_LIMIT_EXCEEDED, not MalformedPolicyDocumentException.
var ErrPolicyTooLarge = errors.New("policy content exceeds the maximum size")

// String returns a short name for the kind, for error messages.
func (k Kind) String() string {
	switch k {
	case IdentityPolicy:
		return "identity policy"
	case ResourcePolicy:
		return "resource policy"
	case ServiceControlPolicy:
		return "service control policy"
	case ResourceControlPolicy:
		return "resource control policy"
	default:
		return fmt.Sprintf("Kind(%d)", int(k))
	}
}

// Policy language versions accepted in the Version element.
const (
	// Version2012 is the current policy language; it enables policy variables.
	Version2012 = "2012-10-17"
	// Version2008 is the legacy language; ${...} is literal text in it.
	Version2008 = "2008-10-17"
)

// Effect is a statement's Effect element.
type Effect string

const (
	// EffectAllow grants the matched request.
	EffectAllow Effect = "Allow"
	// EffectDeny explicitly denies the matched request.
	EffectDeny Effect = "Deny"
)

// Document is a parsed IAM policy document.
type Document struct {
	// Version is the Version element ("" when absent).
	Version string
	// ID is the optional Id element.
	ID string
	// Statements holds the statements in document order.
	Statements []Statement
}

// Statement is one element of a document's Statement list.
//
// For each pair (Action/NotAction, Resource/NotResource,
// Principal/NotPrincipal) at most one member is non-nil; which one tells the
// form used in the JSON. Parse never produces empty non-nil lists.
type Statement struct {
	// Sid is the optional statement id, unique within the document.
	Sid string
	// Effect is Allow or Deny.
	Effect Effect
	// Principal is set in resource-based policies; nil otherwise.
	Principal *PrincipalSet
	// NotPrincipal is the complement form of Principal.
	NotPrincipal *PrincipalSet
	// Action lists "service:Action" patterns (or "*") the statement covers.
	Action []string
	// NotAction lists patterns the statement covers everything except.
	NotAction []string
	// Resource lists ARN patterns (or "*"). Nil together with NotResource
	// only in resource policies, meaning the resource the policy is on.
	Resource []string
	// NotResource lists ARN patterns the statement covers everything except.
	NotResource []string
	// Conditions holds the flattened Condition block, sorted by operator
	// then key; all must hold.
	Conditions []Condition
}

// PrincipalSet is a parsed Principal or NotPrincipal element.
type PrincipalSet struct {
	// Wildcard is true for the bare string form "Principal": "*".
	Wildcard bool
	// AWS lists account ids, account root ARNs, IAM user/role/session ARNs
	// or "*".
	AWS []string
	// Service lists service principals such as "sqs.amazonaws.com".
	Service []string
	// Federated lists identity providers (SAML/OIDC provider ARNs or names).
	Federated []string
	// CanonicalUser lists S3 canonical user ids.
	CanonicalUser []string
}

// Parse parses a policy document that may be either an identity/session
// policy or a resource-based policy: it succeeds when the document satisfies
// the rules of at least one Kind. Use ParseAs when the kind is known.
func Parse(data []byte) (*Document, error) {
	doc, err := parseDocument(data)
	if err != nil {
		return nil, err
	}
	idErr := doc.checkKind(IdentityPolicy)
	if idErr == nil {
		return doc, nil
	}
	if resErr := doc.checkKind(ResourcePolicy); resErr == nil {
		return doc, nil
	} else if doc.hasPrincipal() {
		// The author clearly meant a resource policy; its error is the useful one.
		return nil, resErr
	}
	return nil, idErr
}

// ParseAs parses a policy document and enforces the structural rules of
// kind (Principal forbidden and Resource required for identity policies;
// Principal required for resource policies; the SCP and RCP rules described
// at ServiceControlPolicy and ResourceControlPolicy). Every error wraps
// ErrMalformed, except an oversized SCP or RCP, which wraps
// ErrPolicyTooLarge.
func ParseAs(data []byte, kind Kind) (*Document, error) {
	if kind == ServiceControlPolicy || kind == ResourceControlPolicy {
		if n := utf8.RuneCount(data); n > MaxOrganizationPolicySize {
			return nil, fmt.Errorf("%w: %d characters, the maximum is %d", ErrPolicyTooLarge, n, MaxOrganizationPolicySize)
		}
	}
	doc, err := parseDocument(data)
	if err != nil {
		return nil, err
	}
	if err := doc.checkKind(kind); err != nil {
		return nil, err
	}
	return doc, nil
}

// malformed builds an error wrapping ErrMalformed. The detail strings follow
// IAM's MalformedPolicyDocument messages where those are known.
func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

func (d *Document) hasPrincipal() bool {
	for _, s := range d.Statements {
		if s.Principal != nil || s.NotPrincipal != nil {
			return true
		}
	}
	return false
}

func (d *Document) checkKind(kind Kind) error {
	switch kind {
	case ServiceControlPolicy:
		return d.checkSCP()
	case ResourceControlPolicy:
		return d.checkRCP()
	}
	for i, s := range d.Statements {
		hasPrincipal := s.Principal != nil || s.NotPrincipal != nil
		switch kind {
		case IdentityPolicy:
			if hasPrincipal {
				field := "Principal"
				if s.NotPrincipal != nil {
					field = "NotPrincipal"
				}
				return malformed("Has prohibited field %s (statement %d)", field, i)
			}
			if s.Resource == nil && s.NotResource == nil {
				return malformed("Policy statement must contain resources. (statement %d)", i)
			}
		case ResourcePolicy:
			if !hasPrincipal {
				return malformed("Missing required field Principal (statement %d)", i)
			}
		default:
			return malformed("unknown policy kind %d", int(kind))
		}
	}
	return nil
}

// maxDepth bounds JSON nesting. A valid policy nests at most 5 levels deep
// (document > Statement list > statement > Condition > operator > key > list);
// anything far deeper is hostile input.
const maxDepth = 16

// parseDocument decodes and validates everything that does not depend on Kind.
func parseDocument(data []byte) (*Document, error) {
	root, err := decodeStrict(data)
	if err != nil {
		return nil, err
	}
	obj, ok := root.(jsonObject)
	if !ok {
		return nil, malformed("policy document must be a JSON object")
	}
	doc := &Document{}
	var stmts any
	haveStatement := false
	for _, key := range obj.keys() {
		val := obj[key]
		switch key {
		case "Version":
			s, ok := val.(string)
			if !ok || (s != Version2012 && s != Version2008) {
				return nil, malformed("The policy failed legacy parsing (invalid Version)")
			}
			doc.Version = s
		case "Id":
			s, ok := val.(string)
			if !ok {
				return nil, malformed("Id must be a string")
			}
			doc.ID = s
		case "Statement":
			stmts = val
			haveStatement = true
		default:
			return nil, malformed("Unknown field %s", key)
		}
	}
	if !haveStatement {
		return nil, malformed("Missing required field Statement")
	}
	var list []any
	switch v := stmts.(type) {
	case jsonObject:
		list = []any{v}
	case []any:
		list = v
	default:
		return nil, malformed("Statement must be an object or a list of objects")
	}
	if len(list) == 0 {
		return nil, malformed("Policy document must contain at least one statement")
	}
	sids := map[string]bool{}
	for i, raw := range list {
		so, ok := raw.(jsonObject)
		if !ok {
			return nil, malformed("statement %d is not an object", i)
		}
		st, err := parseStatement(so, i)
		if err != nil {
			return nil, err
		}
		if st.Sid != "" {
			if sids[st.Sid] {
				return nil, malformed("Statement IDs (SID) in a single policy must be unique. (%q)", st.Sid)
			}
			sids[st.Sid] = true
		}
		doc.Statements = append(doc.Statements, st)
	}
	return doc, nil
}

func parseStatement(obj jsonObject, idx int) (Statement, error) {
	var st Statement
	haveEffect := false
	for _, key := range obj.keys() {
		val := obj[key]
		var err error
		switch key {
		case "Sid":
			s, ok := val.(string)
			if !ok {
				return st, malformed("Sid must be a string (statement %d)", idx)
			}
			st.Sid = s
		case "Effect":
			s, ok := val.(string)
			// IAM compares Effect case-sensitively: "allow" is rejected.
			if !ok || (s != string(EffectAllow) && s != string(EffectDeny)) {
				return st, malformed("Invalid effect: %v (statement %d)", val, idx)
			}
			st.Effect = Effect(s)
			haveEffect = true
		case "Action":
			st.Action, err = parseActions(val, key, idx)
		case "NotAction":
			st.NotAction, err = parseActions(val, key, idx)
		case "Resource":
			st.Resource, err = parseResources(val, key, idx)
		case "NotResource":
			st.NotResource, err = parseResources(val, key, idx)
		case "Principal":
			st.Principal, err = parsePrincipal(val, key, idx)
		case "NotPrincipal":
			st.NotPrincipal, err = parsePrincipal(val, key, idx)
		case "Condition":
			st.Conditions, err = parseConditionBlock(val, idx)
		default:
			return st, malformed("Unknown field %s (statement %d)", key, idx)
		}
		if err != nil {
			return st, err
		}
	}
	if !haveEffect {
		return st, malformed("Missing required field Effect (statement %d)", idx)
	}
	switch {
	case st.Action == nil && st.NotAction == nil:
		return st, malformed("Policy statement must contain actions. (statement %d)", idx)
	case st.Action != nil && st.NotAction != nil:
		return st, malformed("Statement cannot contain both Action and NotAction (statement %d)", idx)
	case st.Resource != nil && st.NotResource != nil:
		return st, malformed("Statement cannot contain both Resource and NotResource (statement %d)", idx)
	case st.Principal != nil && st.NotPrincipal != nil:
		return st, malformed("Statement cannot contain both Principal and NotPrincipal (statement %d)", idx)
	}
	return st, nil
}

// stringList accepts the IAM "string or list of strings" form. Lists must be
// non-empty: IAM rejects "Action": [] the same way it rejects a missing one.
func stringList(val any, field string, idx int) ([]string, error) {
	switch v := val.(type) {
	case string:
		return []string{v}, nil
	case []any:
		if len(v) == 0 {
			return nil, malformed("%s must not be empty (statement %d)", field, idx)
		}
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, malformed("%s must contain only strings (statement %d)", field, idx)
			}
			out = append(out, s)
		}
		return out, nil
	default:
		return nil, malformed("%s must be a string or a list of strings (statement %d)", field, idx)
	}
}

func parseActions(val any, field string, idx int) ([]string, error) {
	list, err := stringList(val, field, idx)
	if err != nil {
		return nil, err
	}
	for _, a := range list {
		if !validAction(a) {
			return nil, malformed("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc. (%q, statement %d)", a, idx)
		}
	}
	return list, nil
}

// validAction accepts "*" or "<vendor>:<action>" where the vendor is a
// literal service prefix and the action part may use * and ? wildcards.
func validAction(a string) bool {
	if a == "*" {
		return true
	}
	vendor, name, ok := strings.Cut(a, ":")
	if !ok || vendor == "" || name == "" {
		return false
	}
	for _, r := range vendor {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '*' || r == '?' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

func parseResources(val any, field string, idx int) ([]string, error) {
	list, err := stringList(val, field, idx)
	if err != nil {
		return nil, err
	}
	for _, r := range list {
		// IAM: "Resource <x> must be in ARN format or "*"." An ARN has six
		// colon-separated parts; the last may itself contain colons.
		if r != "*" && (!strings.HasPrefix(r, "arn:") || len(strings.SplitN(r, ":", 6)) != 6) {
			return nil, malformed("Resource %s must be in ARN format or \"*\". (statement %d)", r, idx)
		}
	}
	return list, nil
}

func parsePrincipal(val any, field string, idx int) (*PrincipalSet, error) {
	switch v := val.(type) {
	case string:
		if v != "*" {
			return nil, malformed("Invalid principal in policy: %q (statement %d)", v, idx)
		}
		return &PrincipalSet{Wildcard: true}, nil
	case jsonObject:
		if len(v) == 0 {
			return nil, malformed("%s must not be empty (statement %d)", field, idx)
		}
		ps := &PrincipalSet{}
		for _, key := range v.keys() {
			list, err := stringList(v[key], field+"."+key, idx)
			if err != nil {
				return nil, err
			}
			for _, p := range list {
				if p == "" {
					return nil, malformed("Invalid principal in policy: empty %s (statement %d)", key, idx)
				}
			}
			switch key {
			case "AWS":
				for _, p := range list {
					if !validAWSPrincipal(p) {
						return nil, malformed("Invalid principal in policy: \"AWS\":%q (statement %d)", p, idx)
					}
				}
				ps.AWS = list
			case "Service":
				ps.Service = list
			case "Federated":
				ps.Federated = list
			case "CanonicalUser":
				ps.CanonicalUser = list
			default:
				return nil, malformed("Invalid principal type %s (statement %d)", key, idx)
			}
		}
		return ps, nil
	default:
		return nil, malformed("%s must be \"*\" or an object (statement %d)", field, idx)
	}
}

// validAWSPrincipal accepts the forms IAM and S3 accept for an "AWS"
// principal: "*", a 12-digit account id, an ARN, or a unique id (AIDA…,
// AROA…) that IAM substitutes when the named user or role is deleted.
func validAWSPrincipal(p string) bool {
	switch {
	case p == "*", isAccountID(p):
		return true
	case strings.HasPrefix(p, "arn:"):
		return len(strings.SplitN(p, ":", 6)) == 6
	}
	if len(p) < 16 || len(p) > 128 || !strings.HasPrefix(p, "A") {
		return false
	}
	for _, r := range p {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func parseConditionBlock(val any, idx int) ([]Condition, error) {
	block, ok := val.(jsonObject)
	if !ok {
		return nil, malformed("Condition must be an object (statement %d)", idx)
	}
	var out []Condition
	for _, opName := range block.keys() {
		op, err := parseOperator(opName)
		if err != nil {
			return nil, malformed("%v (statement %d)", err, idx)
		}
		keys, ok := block[opName].(jsonObject)
		if !ok {
			return nil, malformed("Condition %s must map keys to values (statement %d)", opName, idx)
		}
		for _, key := range keys.keys() {
			values, err := conditionValues(keys[key])
			if err != nil {
				return nil, malformed("Condition %s/%s: %v (statement %d)", opName, key, err, idx)
			}
			out = append(out, Condition{Operator: opName, Key: key, Values: values, op: op})
		}
	}
	return out, nil
}

// conditionValues accepts a scalar or a list of scalars. JSON booleans and
// numbers are kept as their literal text, because IAM compares them as
// strings ("Bool": {"aws:SecureTransport": false} == "false").
func conditionValues(val any) ([]string, error) {
	scalar := func(v any) (string, bool) {
		switch t := v.(type) {
		case string:
			return t, true
		case bool:
			if t {
				return "true", true
			}
			return "false", true
		case json.Number:
			return t.String(), true
		default:
			return "", false
		}
	}
	if list, ok := val.([]any); ok {
		out := make([]string, 0, len(list))
		for _, e := range list {
			s, ok := scalar(e)
			if !ok {
				return nil, errors.New("values must be strings, booleans or numbers")
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, ok := scalar(val)
	if !ok {
		return nil, errors.New("value must be a string, boolean, number or a list of them")
	}
	return []string{s}, nil
}

// jsonObject is a decoded JSON object. decodeStrict rejects duplicate keys,
// which encoding/json would silently resolve last-wins.
type jsonObject map[string]any

// keys returns the object's keys sorted, so parsing (and error messages)
// are deterministic.
func (o jsonObject) keys() []string {
	keys := make([]string, 0, len(o))
	for k := range o {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// decodeStrict decodes exactly one JSON value into jsonObject / []any /
// string / bool / json.Number / nil, rejecting duplicate object keys,
// trailing data and excessive nesting.
func decodeStrict(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, malformed("Syntax errors in policy (trailing data)")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder, depth int) (any, error) {
	if depth > maxDepth {
		return nil, malformed("Syntax errors in policy (nesting too deep)")
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, malformed("Syntax errors in policy (%v)", err)
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			obj := jsonObject{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, malformed("Syntax errors in policy (%v)", err)
				}
				key, ok := kt.(string)
				if !ok {
					return nil, malformed("Syntax errors in policy (object key)")
				}
				if _, dup := obj[key]; dup {
					return nil, malformed("Syntax errors in policy (duplicate key %q)", key)
				}
				v, err := decodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				obj[key] = v
			}
			if _, err := dec.Token(); err != nil { // '}'
				return nil, malformed("Syntax errors in policy (%v)", err)
			}
			return obj, nil
		case '[':
			list := []any{}
			for dec.More() {
				v, err := decodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				list = append(list, v)
			}
			if _, err := dec.Token(); err != nil { // ']'
				return nil, malformed("Syntax errors in policy (%v)", err)
			}
			return list, nil
		default:
			return nil, malformed("Syntax errors in policy (unexpected %v)", t)
		}
	default:
		// string, bool, json.Number or nil
		return t, nil
	}
}
