package api

// iamServicePrincipal is IAM's service principal in Organizations: trusted
// access and delegated administration for root access management name it.
const iamServicePrincipal = "iam.amazonaws.com"
