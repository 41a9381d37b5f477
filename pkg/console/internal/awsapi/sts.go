package awsapi

import (
	"context"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// stsVersion is STS's query API version.
const stsVersion = "2011-06-15"

// CallerIdentity is GetCallerIdentity's answer.
type CallerIdentity struct {
	Account string
	Arn     string
	UserID  string `xml:"UserId"`
}

// GetCallerIdentity names the principal whose keys the client signs with.
func (c *Client) GetCallerIdentity(ctx context.Context) (CallerIdentity, error) {
	var out CallerIdentity
	err := c.query(ctx, "sts", stsVersion, "GetCallerIdentity", nil, &out)
	return out, err
}

// credentialsResult is the Credentials element of AssumeRoot and AssumeRole.
type credentialsResult struct {
	Credentials struct {
		AccessKeyID     string `xml:"AccessKeyId"`
		SecretAccessKey string
		SessionToken    string
		Expiration      time.Time // ISO 8601, as query answers carry timestamps
	}
}

func (r *credentialsResult) credentials() aws.Credentials {
	c := r.Credentials
	return aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken,
		CanExpire: true, Expires: c.Expiration}
}

// AssumeRoot takes a root session on the member account target, scoped by
// the task policy taskPolicyARN.
func (c *Client) AssumeRoot(ctx context.Context, target, taskPolicyARN string) (aws.Credentials, error) {
	var out credentialsResult
	err := c.query(ctx, "sts", stsVersion, "AssumeRoot",
		url.Values{"TargetPrincipal": {target}, "TaskPolicyArn.arn": {taskPolicyARN}}, &out)
	return out.credentials(), err
}

// AssumeRole takes a session of the role roleARN named sessionName.
func (c *Client) AssumeRole(ctx context.Context, roleARN, sessionName string) (aws.Credentials, error) {
	var out credentialsResult
	err := c.query(ctx, "sts", stsVersion, "AssumeRole",
		url.Values{"RoleArn": {roleARN}, "RoleSessionName": {sessionName}}, &out)
	return out.credentials(), err
}
