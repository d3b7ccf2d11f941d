package invited

// Temporary stand-ins for the shared validators being written on wt/gaps;
// removed at the merge.

func (s OrgSettings) ResolveRoles(f FieldErrors, field string, roles []string, roleExists func(string) bool) []string {
	if len(roles) == 0 {
		roles = []string{RoleMember}
	}
	for _, r := range roles {
		if !roleExists(r) {
			f.Add(field, "unknown role "+quote(r))
		}
	}
	return MergeRoles(roles, nil)
}

func (s OrgSettings) ResolveRedirect(f FieldErrors, field, raw string) string {
	if raw != "" && !s.RedirectAllowed(raw) {
		f.Add(field, "origin is not in the organization's allowed_redirect_origins")
	}
	return raw
}
