package api

import (
	"cmp"
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"slices"

	"github.com/rootaccess/emulator/pkg/store"
)

// opKey names a wire operation: the service's signing name and the
// operation name exactly as the service model spells it.
type opKey struct{ service, name string }

// operation is one row of the API table (operations.go).
type operation struct {
	service *service
	name    string
	// action is the IAM action the operation is authorized as.
	action string
	// public operations need no permission (AWS: GetCallerIdentity).
	public bool
	invoke func(s *Server, c *call, o operation) error
}

// resource is what an operation acts on, for authorization.
type resource struct {
	ARN string // "*" for operations that are not resource-scoped
	// Account owns the resource; empty means the caller's own account.
	Account string
	// Policies are the resource-based policies (bucket or queue policy, a
	// role's trust policy), raw JSON as stored.
	Policies []string
	// ResourceRequired makes the resource policy have to allow even within
	// one account, as a role's trust policy must.
	ResourceRequired bool
	// Context adds request-specific condition keys (e.g. sts:TaskPolicyArn).
	Context map[string][]string
	// OwnerRootBypass lets the owning account's root pass the resource
	// policy (S3 bucket-policy and SQS queue-policy management): the
	// resource policy is then not evaluated for that caller.
	OwnerRootBypass bool
}

// anywhere is the resource of operations that are not resource-scoped.
var anywhere = resource{ARN: "*"}

// targetFunc computes the resource of a request before it runs; it must not
// fail because the resource does not exist (authorization comes first).
type targetFunc[In any] func(s *Server, ctx context.Context, c *call, in *In) (resource, error)

// handlerFunc runs an operation and returns its output wire struct.
type handlerFunc[In, Out any] func(s *Server, ctx context.Context, c *call, in *In) (*Out, error)

// txnFunc is s.store.View or s.store.Update, for handler helpers that run
// their work in whichever transaction the operation needs.
type txnFunc func(context.Context, func(*store.Tx) error) error

// noOutput is the output of operations whose response has no result element.
type noOutput struct{}

// op builds a table row for an RPC-style operation (query or JSON
// protocols): decode the input, validate, authorize the IAM action on the
// target, run the handler, encode the output. A nil target means the
// operation acts on "*" in the caller's account.
func op[In, Out any](svc *service, name, action string, target targetFunc[In], h handlerFunc[In, Out]) operation {
	return operation{service: svc, name: name, action: action, invoke: func(s *Server, c *call, o operation) error {
		in := new(In)
		if err := decodeInput(c, in); err != nil {
			return err
		}
		if v, ok := any(in).(interface{ validate() error }); ok {
			if err := v.validate(); err != nil {
				return err
			}
		}
		ctx := c.r.Context()
		if !o.public {
			res := anywhere
			if target != nil {
				var err error
				if res, err = target(s, ctx, c, in); err != nil {
					return err
				}
			}
			if err := s.authorize(ctx, c, action, res); err != nil {
				return err
			}
		}
		out, err := h(s, ctx, c, in)
		if err != nil {
			return err
		}
		return encodeOutput(c, out)
	}}
}

// public marks an operation that needs no permission.
func public(o operation) operation {
	o.public = true
	return o
}

func decodeInput(c *call, in any) error {
	switch c.proto {
	case protoQuery:
		return decodeQuery(c.form, in)
	case protoJSON10, protoJSON11:
		if len(c.body) == 0 {
			return nil
		}
		if err := json.Unmarshal(c.body, in); err != nil {
			return &Error{Code: "SerializationException", Message: "Could not parse the request body as JSON: " + err.Error(),
				Status: http.StatusBadRequest, QueryCode: queryCodeIf(c.proto, "MalformedQueryString")}
		}
	}
	return nil
}

func encodeOutput[Out any](c *call, out *Out) error {
	var result any = out
	if _, empty := any(out).(*noOutput); empty || out == nil {
		result = nil
	}
	switch c.proto {
	case protoQuery:
		return writeQueryResult(c.w, c.svc, c.action, c.requestID, result)
	case protoJSON10, protoJSON11:
		if result == nil || reflect.ValueOf(result).IsNil() {
			result = nil
		}
		return writeJSONResult(c.w, c.proto, result)
	}
	return nil
}

// table indexes operations by service and name; a duplicate is a programming error.
func table(ops ...operation) map[opKey]operation {
	m := make(map[opKey]operation, len(ops))
	for _, o := range ops {
		k := opKey{o.service.Name, o.name}
		if _, dup := m[k]; dup {
			panic("api: operation registered twice: " + k.service + " " + k.name)
		}
		m[k] = o
	}
	return m
}

// OperationInfo describes one row of the API table.
type OperationInfo struct {
	Service string // signing name: sts, iam, organizations, s3, sqs
	Name    string // operation name as the service model spells it
	Action  string // IAM action it is authorized as
	Public  bool   // needs no permission
}

// Operations lists the API table, ordered by service and name: what the
// emulator serves, for the model-coverage test and the docs.
func (s *Server) Operations() []OperationInfo {
	out := make([]OperationInfo, 0, len(s.ops))
	for _, o := range s.ops {
		out = append(out, OperationInfo{Service: o.service.Name, Name: o.name, Action: o.action, Public: o.public})
	}
	slices.SortFunc(out, func(a, b OperationInfo) int {
		return cmp.Or(cmp.Compare(a.Service, b.Service), cmp.Compare(a.Name, b.Name))
	})
	return out
}
