package pipeline

import (
	"cmp"
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"slices"

	"github.com/rootaccess/emulator/pkg/store"
)

// OpKey names a wire operation: the service's signing name and the
// operation name exactly as the service model spells it.
type OpKey struct{ Service, Name string }

// Operation is one row of the API table. Each service package lists its
// rows (Operations in its service.go); the assembly joins them into one table that
// routing, authorization, health and the model-coverage test all read.
type Operation struct {
	Service *Service
	Name    string
	// Action is the IAM action the operation is authorized as.
	Action string
	// Public operations need no permission (AWS: GetCallerIdentity).
	Public bool
	// Invoke decodes, authorizes, runs and encodes one call of o.
	Invoke func(c *Call, o Operation) error
	// Output is the type of the result an RPC-style operation (Op) writes;
	// nil for operations that build their own Invoke.
	Output reflect.Type
	// Data marks CloudTrail data events (see DataEvent).
	Data bool
	// OwnCommits marks a handler that commits in several transactions of
	// its own (see OwnCommitsOp).
	OwnCommits bool
	// readOnly overrides the name's verdict on CloudTrail's readOnly (see ReadOnlyOp).
	readOnlySet, readOnly bool
}

// Resource is what an operation acts on, for authorization.
type Resource struct {
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
	// Also are further actions the request needs on the same resource,
	// beside the row's own: AWS's documented dependent actions, such as
	// iam:TagUser for a CreateUser that carries tags. A target adds them
	// from its input; they are authorized like the row's action.
	Also []string
	// OwnerRootBypass lets the owning account's root pass the resource
	// policy (S3 bucket-policy and SQS queue-policy management): the
	// resource policy is then not evaluated for that caller.
	OwnerRootBypass bool
}

// Anywhere is the resource of operations that are not resource-scoped.
var Anywhere = Resource{ARN: "*"}

// TargetFunc computes the resource of a request before it runs; it must not
// fail because the resource does not exist (authorization comes first). S
// is the service that owns the operation (its method expression's receiver).
type TargetFunc[S, In any] func(s S, ctx context.Context, c *Call, in *In) (Resource, error)

// HandlerFunc runs an operation of service S and returns its output wire struct.
type HandlerFunc[S, In, Out any] func(s S, ctx context.Context, c *Call, in *In) (*Out, error)

// TxnFunc is Store.View or Store.Update, for handler helpers that run
// their work in whichever transaction the operation needs.
type TxnFunc func(context.Context, func(*store.Tx) error) error

// NoOutput is the output of operations whose response has no result element.
type NoOutput struct{}

// Op builds a table row for an RPC-style operation (query or JSON
// protocols): decode the input, validate, authorize the IAM action on the
// target, run the handler, encode the output. A nil target means the
// operation acts on "*" in the caller's account. Target and handler are
// method expressions of the service s, e.g. (*sts.Service).assumeRoot.
func Op[S, In, Out any](svc *Service, s S, name, action string, target TargetFunc[S, In], h HandlerFunc[S, In, Out]) Operation {
	return Operation{Service: svc, Name: name, Action: action, Output: reflect.TypeFor[Out](), Invoke: func(c *Call, o Operation) error {
		in := new(In)
		if err := decodeInput(c, in); err != nil {
			return err
		}
		c.auditIn = in
		// Inputs check their own members after decoding, before authorization:
		// AWS validates first.
		if v, ok := any(in).(interface{ Validate() error }); ok {
			if err := v.Validate(); err != nil {
				return err
			}
		}
		ctx := c.R.Context()
		if !o.Public {
			res := Anywhere
			if target != nil {
				var err error
				if res, err = target(s, ctx, c, in); err != nil {
					return err
				}
			}
			if err := c.Authorize(ctx, action, res); err != nil {
				return err
			}
		}
		out, err := runRecorded(c, ctx, func(ctx context.Context) (*Out, error) { return h(s, ctx, c, in) })
		if err != nil {
			return err
		}
		return encodeOutput(c, out)
	}}
}

// Public marks an operation that needs no permission.
func Public(o Operation) Operation {
	o.Public = true
	return o
}

func decodeInput(c *Call, in any) error {
	switch c.Proto {
	case ProtoQuery:
		return DecodeQuery(c.Form, in)
	case ProtoJSON10, ProtoJSON11:
		if len(c.Body) == 0 {
			return nil
		}
		if err := json.Unmarshal(c.Body, in); err != nil {
			return &Error{Code: "SerializationException", Message: "Could not parse the request body as JSON: " + err.Error(),
				Status: http.StatusBadRequest, QueryCode: QueryCodeIf(c.Proto, "MalformedQueryString")}
		}
	}
	return nil
}

func encodeOutput[Out any](c *Call, out *Out) error {
	var result any = out
	if _, empty := any(out).(*NoOutput); empty || out == nil {
		result = nil
	}
	switch c.Proto {
	case ProtoQuery:
		return WriteQueryResult(c.W, c.Svc, c.Action, c.RequestID, result)
	case ProtoJSON10, ProtoJSON11:
		if result == nil || reflect.ValueOf(result).IsNil() {
			result = nil
		}
		return WriteJSONResult(c.W, c.Proto, result)
	}
	return nil
}

// Table indexes operations by service and name; a duplicate is a programming error.
func Table(ops []Operation) map[OpKey]*Operation {
	m := make(map[OpKey]*Operation, len(ops))
	for _, o := range ops {
		k := OpKey{o.Service.Name, o.Name}
		if _, dup := m[k]; dup {
			panic("pipeline: operation registered twice: " + k.Service + " " + k.Name)
		}
		m[k] = &o
	}
	return m
}

// OperationInfo describes one row of the API table.
type OperationInfo struct {
	Service string // signing name: sts, iam, organizations, s3, sqs
	Name    string // operation name as the service model spells it
	Action  string // IAM action it is authorized as
	Public  bool   // needs no permission
	// Output is the result type of an RPC-style operation (nil otherwise).
	Output reflect.Type
	// Query says the service answers the query protocol (XML results).
	Query bool
}

// Operations lists the pipeline's table, ordered by service and name.
func (p *Pipeline) Operations() []OperationInfo {
	out := make([]OperationInfo, 0, len(p.ops))
	for _, o := range p.ops {
		out = append(out, OperationInfo{Service: o.Service.Name, Name: o.Name, Action: o.Action, Public: o.Public,
			Output: o.Output, Query: o.Service.XMLNamespace != ""})
	}
	slices.SortFunc(out, func(a, b OperationInfo) int {
		return cmp.Or(cmp.Compare(a.Service, b.Service), cmp.Compare(a.Name, b.Name))
	})
	return out
}
