package pipeline

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/rootaccess/emulator/pkg/store"
)

// Error is an AWS error as a client sees it. It is the only error type the
// protocol writers render; anything else becomes a 500 InternalFailure and
// is logged.
type Error struct {
	// Code is the code the service's protocol carries (<Code> in XML,
	// __type in JSON).
	Code    string
	Message string
	Status  int
	// QueryCode is SQS's legacy query-protocol code, sent as the
	// x-amzn-query-error header over JSON and as <Code> over query.
	QueryCode string
	// Reason is the Organizations ConstraintViolationException/InvalidInputException reason.
	Reason string
	// Extra holds additional elements of an S3 error body (BucketName, Key…).
	Extra map[string]string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Fault is Sender for client errors and Receiver for server errors.
func (e *Error) Fault() string {
	if e.Status >= 500 {
		return "Receiver"
	}
	return "Sender"
}

func NewError(status int, code, format string, args ...any) *Error {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	return &Error{Code: code, Message: msg, Status: status}
}

// asError returns err as an *Error, or nil when err is not one.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// internalError is what every unexpected error turns into on the wire.
func InternalError(p Protocol) *Error {
	code := "InternalFailure"
	if p == ProtoRestXML {
		code = "InternalError"
	}
	return NewError(http.StatusInternalServerError, code, "We encountered an internal error. Please try again.")
}

// authError renders an authentication failure in protocol p's own terms;
// svc is the signing name of the service the request is for.
func AuthError(p Protocol, svc string, f AuthFailure) *Error {
	type codes struct{ query, json, s3 string }
	var c codes
	var msg string
	status, jsonStatus := http.StatusForbidden, http.StatusBadRequest
	switch f {
	case AuthMissing:
		c, msg = codes{"MissingAuthenticationToken", "MissingAuthenticationTokenException", "AccessDenied"},
			"Request is missing Authentication Token"
		jsonStatus = http.StatusForbidden
	case AuthIncomplete:
		c, msg = codes{"IncompleteSignature", "IncompleteSignatureException", "AuthorizationHeaderMalformed"},
			"The request signature does not conform to AWS standards: Authorization must be 'AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…' and X-Amz-Date must match the credential scope date."
		status = http.StatusBadRequest
	case AuthUnknownKey:
		c, msg = codes{"InvalidClientTokenId", "UnrecognizedClientException", "InvalidAccessKeyId"},
			"The security token included in the request is invalid."
		if p == ProtoRestXML {
			msg = "The AWS Access Key Id you provided does not exist in our records."
		}
	case AuthBadSignature:
		c, msg = codes{"SignatureDoesNotMatch", "InvalidSignatureException", "SignatureDoesNotMatch"},
			"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	case AuthExpired:
		c, msg = codes{"ExpiredToken", "ExpiredTokenException", "ExpiredToken"},
			"The security token included in the request is expired"
		if p == ProtoRestXML {
			msg, status = "The provided token has expired.", http.StatusBadRequest
		}
	case AuthSkewed:
		c, msg = codes{"SignatureDoesNotMatch", "InvalidSignatureException", "RequestTimeTooSkewed"},
			"Signature expired: the request's X-Amz-Date is more than 15 minutes from the server's time."
	case AuthContentSHAMismatch:
		c, msg = codes{"SignatureDoesNotMatch", "InvalidSignatureException", "XAmzContentSHA256Mismatch"},
			"The provided 'x-amz-content-sha256' header does not match what was computed."
		if p == ProtoRestXML {
			status = http.StatusBadRequest
		}
	case AuthQueryMalformed:
		c, msg = codes{"IncompleteSignature", "IncompleteSignatureException", "AuthorizationQueryParametersError"},
			"Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."
		status = http.StatusBadRequest
	case AuthExpiresTooLong:
		c, msg = codes{"IncompleteSignature", "IncompleteSignatureException", "AuthorizationQueryParametersError"},
			"X-Amz-Expires must be less than a week (in seconds) that is; 604800 seconds"
		status = http.StatusBadRequest
	case AuthRequestExpired:
		c, msg = codes{"AccessDenied", "AccessDeniedException", "AccessDenied"}, "Request has expired"
	case AuthDuplicate:
		c, msg = codes{"IncompleteSignature", "IncompleteSignatureException", "InvalidArgument"},
			"Only one Authorization header may be sent."
		status = http.StatusBadRequest
	case AuthWrongRegion:
		c, msg = codes{"SignatureDoesNotMatch", "InvalidSignatureException", "AuthorizationHeaderMalformed"},
			"Credential should be scoped to a valid region."
	case AuthWrongService:
		c, msg = codes{"SignatureDoesNotMatch", "InvalidSignatureException", "AuthorizationHeaderMalformed"},
			fmt.Sprintf("Credential should be scoped to correct service: '%s'.", svc)
		if p == ProtoRestXML {
			msg, status = `The authorization header is malformed; incorrect service. This endpoint belongs to "s3".`, http.StatusBadRequest
		}
	}
	switch p {
	case ProtoRestXML:
		return &Error{Code: c.s3, Message: msg, Status: status}
	case ProtoJSON11:
		return &Error{Code: c.json, Message: msg, Status: jsonStatus}
	case ProtoJSON10:
		// SQS: the query-compatible code travels in x-amzn-query-error.
		return &Error{Code: "com.amazon.coral.service#" + c.json, Message: msg, Status: status, QueryCode: c.query}
	default:
		return &Error{Code: c.query, Message: msg, Status: status}
	}
}

// unknownOperation is the error for an action the service does not have.
func UnknownOperation(p Protocol, action string) *Error {
	switch p {
	case ProtoJSON10, ProtoJSON11:
		return &Error{Code: "UnknownOperationException", Message: "Unknown operation " + action, Status: http.StatusBadRequest,
			QueryCode: QueryCodeIf(p, "InvalidAction")}
	case ProtoRestXML:
		return NewError(http.StatusNotImplemented, "NotImplemented", "A header or query you provided implies functionality that is not implemented.")
	default:
		return NewError(http.StatusBadRequest, "InvalidAction", "Could not find operation %s for version", action)
	}
}

// bodyTooLarge is the error for a body over the service's limit.
func BodyTooLarge(p Protocol, limit int64) *Error {
	switch p {
	case ProtoRestXML:
		return NewError(http.StatusBadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size of %d bytes.", limit)
	case ProtoJSON10, ProtoJSON11:
		return &Error{Code: "RequestEntityTooLargeException", Message: fmt.Sprintf("Request body is larger than %d bytes.", limit),
			Status: http.StatusRequestEntityTooLarge, QueryCode: QueryCodeIf(p, "RequestEntityTooLarge")}
	default:
		return NewError(http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "Request body is larger than %d bytes.", limit)
	}
}

// requestTimeout is the error for a body that stopped arriving, in S3's
// words (the other services document none).
func RequestTimeout(p Protocol) *Error {
	return &Error{Code: "RequestTimeout", Status: http.StatusBadRequest, QueryCode: QueryCodeIf(p, "RequestTimeout"),
		Message: "Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed."}
}

// queryCodeIf returns code for SQS's JSON protocol (the only one that sends
// x-amzn-query-error) and "" otherwise.
func QueryCodeIf(p Protocol, code string) string {
	if p == ProtoJSON10 {
		return code
	}
	return ""
}

// storeError maps a store sentinel that a handler did not map itself: the
// service's own mapping first, then a generic code for it.
func storeError(svc *Service, err error) error {
	if svc != nil && svc.StoreError != nil {
		err = svc.StoreError(err)
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		return NewError(http.StatusNotFound, "NotFound", "%s", err.Error())
	case errors.Is(err, store.ErrConflict):
		return NewError(http.StatusConflict, "Conflict", "%s", err.Error())
	case errors.Is(err, store.ErrLimitExceeded):
		return NewError(http.StatusConflict, "LimitExceeded", "%s", err.Error())
	}
	return err
}
