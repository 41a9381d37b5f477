package api

// operations is the API: every wire operation the emulator serves,
// registered once with the IAM action it is authorized as. Routing
// (dispatch.go), authorization (operation.go) and the model-coverage test
// all read this table.
func (s *Server) operations() map[opKey]operation {
	return table(
		// STS (query protocol)
		public(op(svcSTS, "GetCallerIdentity", "sts:GetCallerIdentity", nil, (*Server).stsGetCallerIdentity)),
		op(svcSTS, "AssumeRoot", "sts:AssumeRoot", assumeRootTarget, (*Server).stsAssumeRoot),
		op(svcSTS, "AssumeRole", "sts:AssumeRole", assumeRoleTarget, (*Server).stsAssumeRole),
	)
}
