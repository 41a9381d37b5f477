package api

// operations is the API: every wire operation the emulator serves,
// registered once with the IAM action it is authorized as. Routing
// (dispatch.go), authorization (operation.go) and the model-coverage test
// all read this table. Handlers live in one file per service
// (sts.go, iam.go, organizations.go, s3.go, sqs.go).
func (s *Server) operations() map[opKey]operation {
	return table(
		// --- STS (query protocol) ---
		public(op(svcSTS, "GetCallerIdentity", "sts:GetCallerIdentity", nil, (*Server).stsGetCallerIdentity)),
		op(svcSTS, "AssumeRoot", "sts:AssumeRoot", assumeRootTarget, (*Server).stsAssumeRoot),
		op(svcSTS, "AssumeRole", "sts:AssumeRole", assumeRoleTarget, (*Server).stsAssumeRole),

		// --- Organizations (JSON 1.1) ---

		// --- IAM organization features (query protocol) ---

		// --- IAM root user credentials (query protocol) ---

		// --- IAM managed policies (query protocol) ---

		// --- S3 (rest-xml) ---

		// --- SQS (JSON 1.0 and query) ---
	)
}
