package pipeline

import (
	"encoding/json"
	"strconv"
)

// Every recorded call renders one CloudTrail record, so the record is
// appended by hand instead of by encoding/json's reflection (a quarter of
// recording's CPU). The output is byte for byte what json.Marshal gives for
// the same struct (members, order, omitempty, escaping):
// TestAuditRecordJSONMatchesEncodingJSON holds it to that, over records
// with every member filled at random. A member added to the structs must
// be added here too; that test fails until it is.

func (r *auditRecord) appendJSON(b []byte) []byte {
	b = append(b, `{"eventVersion":`...)
	b = appendJSONString(b, r.EventVersion)
	b = append(b, `,"userIdentity":`...)
	b = r.UserIdentity.appendJSON(b)
	b = appendStringMember(b, "eventTime", r.EventTime)
	b = appendStringMember(b, "eventSource", r.EventSource)
	b = appendStringMember(b, "eventName", r.EventName)
	b = appendStringMember(b, "awsRegion", r.AWSRegion)
	b = appendStringMember(b, "sourceIPAddress", r.SourceIPAddress)
	b = appendStringMember(b, "userAgent", r.UserAgent)
	b = appendOptionalMember(b, "errorCode", r.ErrorCode)
	b = appendOptionalMember(b, "errorMessage", r.ErrorMessage)
	b = append(b, `,"requestParameters":`...)
	b = appendJSONValue(b, r.RequestParameters)
	b = append(b, `,"responseElements":`...)
	b = appendJSONValue(b, r.ResponseElements)
	b = appendStringMember(b, "requestID", r.RequestID)
	b = appendStringMember(b, "eventID", r.EventID)
	b = append(b, `,"readOnly":`...)
	b = strconv.AppendBool(b, r.ReadOnly)
	if len(r.Resources) > 0 {
		b = append(b, `,"resources":[`...)
		for i, res := range r.Resources {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '{')
			if res.AccountID != "" {
				b = append(b, `"accountId":`...)
				b = appendJSONString(b, res.AccountID)
				b = append(b, ',')
			}
			b = append(b, `"type":`...)
			b = appendJSONString(b, res.Type)
			b = appendStringMember(b, "ARN", res.ARN)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = appendStringMember(b, "eventType", r.EventType)
	b = append(b, `,"managementEvent":`...)
	b = strconv.AppendBool(b, r.ManagementEvent)
	b = appendStringMember(b, "recipientAccountId", r.RecipientAccountID)
	b = appendOptionalMember(b, "sharedEventID", r.SharedEventID)
	b = appendStringMember(b, "eventCategory", r.EventCategory)
	if t := r.TLSDetails; t != nil {
		b = append(b, `,"tlsDetails":{"tlsVersion":`...)
		b = appendJSONString(b, t.TLSVersion)
		b = appendStringMember(b, "cipherSuite", t.CipherSuite)
		b = appendStringMember(b, "clientProvidedHostHeader", t.ClientProvidedHostHeader)
		b = append(b, '}')
	}
	return append(b, '}')
}

func (u *userIdentity) appendJSON(b []byte) []byte {
	b = append(b, `{"type":`...)
	b = appendJSONString(b, u.Type)
	b = appendStringMember(b, "principalId", u.PrincipalID)
	b = appendStringMember(b, "arn", u.ARN)
	b = appendStringMember(b, "accountId", u.AccountID)
	b = appendOptionalMember(b, "accessKeyId", u.AccessKeyID)
	b = appendOptionalMember(b, "userName", u.UserName)
	if s := u.SessionContext; s != nil {
		b = append(b, `,"sessionContext":{`...)
		if i := s.SessionIssuer; i != nil {
			b = append(b, `"sessionIssuer":{"type":`...)
			b = appendJSONString(b, i.Type)
			b = appendStringMember(b, "principalId", i.PrincipalID)
			b = appendStringMember(b, "arn", i.ARN)
			b = appendStringMember(b, "accountId", i.AccountID)
			b = appendStringMember(b, "userName", i.UserName)
			b = append(b, "},"...)
		}
		if s.WebIDFederationData != nil {
			b = append(b, `"webIdFederationData":{},`...)
		}
		b = append(b, `"attributes":{"creationDate":`...)
		b = appendJSONString(b, s.Attributes.CreationDate)
		b = appendStringMember(b, "mfaAuthenticated", s.Attributes.MFAAuthenticated)
		b = append(b, '}')
		b = appendOptionalMember(b, "sourceIdentity", s.SourceIdentity)
		b = appendOptionalMember(b, "assumedRoot", s.AssumedRoot)
		b = append(b, '}')
	}
	return append(b, '}')
}

// appendStringMember appends ,"name":"value".
func appendStringMember(b []byte, name, value string) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return appendJSONString(b, value)
}

// appendOptionalMember is appendStringMember for an omitempty member.
func appendOptionalMember(b []byte, name, value string) []byte {
	if value == "" {
		return b
	}
	return appendStringMember(b, name, value)
}

// appendJSONString appends s quoted as encoding/json quotes it. Nearly
// every string in a record is plain printable ASCII, appended as it is;
// any other goes through encoding/json, so that its escaping (HTML
// characters, control characters, invalid UTF-8, U+2028) is exactly
// json.Marshal's.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendJSONValue appends a member of no fixed shape (request parameters,
// response elements: maps and slices of plain values) with encoding/json.
func appendJSONValue(b []byte, v any) []byte {
	if v == nil {
		return append(b, "null"...)
	}
	data, err := json.Marshal(v)
	if err != nil {
		// Every value is built from plain maps, slices, strings, numbers and bools.
		panic("marshal CloudTrail record: " + err.Error())
	}
	return append(b, data...)
}
