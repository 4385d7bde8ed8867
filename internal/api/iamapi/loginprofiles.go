package iamapi

import (
	"net/http"

	"github.com/keksdev/keks/internal/awsproto"
	"github.com/keksdev/keks/internal/iam"
)

// Login profiles (console passwords) and the account's password policy
// register themselves here, as instance profiles do.
func init() {
	for name, act := range map[string]action{
		"CreateLoginProfile":          (*Handler).createLoginProfile,
		"GetLoginProfile":             (*Handler).getLoginProfile,
		"UpdateLoginProfile":          (*Handler).updateLoginProfile,
		"DeleteLoginProfile":          (*Handler).deleteLoginProfile,
		"ChangePassword":              (*Handler).changePassword,
		"GetAccountPasswordPolicy":    (*Handler).getAccountPasswordPolicy,
		"UpdateAccountPasswordPolicy": (*Handler).updateAccountPasswordPolicy,
		"DeleteAccountPasswordPolicy": (*Handler).deleteAccountPasswordPolicy,
	} {
		actions[name] = act
	}
	// As the Service Authorization Reference lists them: a login profile's
	// actions act on its user (the one named, or the caller, where the
	// model lets UserName out), ChangePassword on the caller's own user,
	// and the password policy's on no resource.
	for name, d := range map[string]describer{
		"CreateLoginProfile":          onUserOrCaller,
		"GetLoginProfile":             onUserOrCaller,
		"UpdateLoginProfile":          onUser,
		"DeleteLoginProfile":          onUserOrCaller,
		"ChangePassword":              onCaller,
		"GetAccountPasswordPolicy":    onAnything,
		"UpdateAccountPasswordPolicy": onAnything,
		"DeleteAccountPasswordPolicy": onAnything,
	} {
		operationChecks[name] = d
	}
}

// onCaller acts on the caller's own user ("*" when the caller is none).
func onCaller(ic *iamCall, action string) []awsproto.Check {
	return []awsproto.Check{onEntity(action, ic.user(ic.callerUserName()))}
}

func loginProfileNode(p *iam.LoginProfile) awsproto.Node {
	return awsproto.El("LoginProfile", awsproto.Tx("UserName", p.UserName), awsproto.Time("CreateDate", p.CreateDate),
		awsproto.Bool("PasswordResetRequired", p.PasswordResetRequired))
}

func (h *Handler) createLoginProfile(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "Password"); err != nil {
		return nil, err
	}
	reset, err := boolParam(c, "PasswordResetRequired")
	if err != nil {
		return nil, err
	}
	user, err := h.userParam(r, c)
	if err != nil {
		return nil, err
	}
	p, err := h.IAM.CreateLoginProfile(r.Context(), user, c.Form.Get("Password"), reset)
	if err != nil {
		return nil, err
	}
	return []awsproto.Node{loginProfileNode(p)}, nil
}

func (h *Handler) getLoginProfile(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	user, err := h.userParam(r, c)
	if err != nil {
		return nil, err
	}
	p, err := h.IAM.GetLoginProfile(r.Context(), user)
	if err != nil {
		return nil, err
	}
	return []awsproto.Node{loginProfileNode(p)}, nil
}

func (h *Handler) updateLoginProfile(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "UserName"); err != nil {
		return nil, err
	}
	var password *string
	if c.Form.Has("Password") {
		p := c.Form.Get("Password")
		password = &p
	}
	var reset *bool
	if c.Form.Get("PasswordResetRequired") != "" {
		v, err := boolParam(c, "PasswordResetRequired")
		if err != nil {
			return nil, err
		}
		reset = &v
	}
	return nil, h.IAM.UpdateLoginProfile(r.Context(), c.Form.Get("UserName"), password, reset)
}

func (h *Handler) deleteLoginProfile(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	user, err := h.userParam(r, c)
	if err != nil {
		return nil, err
	}
	return nil, h.IAM.DeleteLoginProfile(r.Context(), user)
}

func (h *Handler) changePassword(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	if err := required(c, "OldPassword", "NewPassword"); err != nil {
		return nil, err
	}
	return nil, h.IAM.ChangePassword(r.Context(), c.Principal, c.Form.Get("OldPassword"), c.Form.Get("NewPassword"))
}

func (h *Handler) getAccountPasswordPolicy(r *http.Request, _ *awsproto.Call) ([]awsproto.Node, error) {
	p, err := h.IAM.GetAccountPasswordPolicy(r.Context())
	if err != nil {
		return nil, err
	}
	n := awsproto.El("PasswordPolicy", awsproto.Int("MinimumPasswordLength", p.MinimumPasswordLength),
		awsproto.Bool("RequireSymbols", p.RequireSymbols), awsproto.Bool("RequireNumbers", p.RequireNumbers),
		awsproto.Bool("RequireUppercaseCharacters", p.RequireUppercaseCharacters),
		awsproto.Bool("RequireLowercaseCharacters", p.RequireLowercaseCharacters),
		awsproto.Bool("AllowUsersToChangePassword", p.AllowUsersToChangePassword), awsproto.Bool("ExpirePasswords", p.ExpirePasswords()))
	if p.MaxPasswordAge > 0 {
		n.Kids = append(n.Kids, awsproto.Int("MaxPasswordAge", p.MaxPasswordAge))
	}
	if p.PasswordReusePrevention > 0 {
		n.Kids = append(n.Kids, awsproto.Int("PasswordReusePrevention", p.PasswordReusePrevention))
	}
	if p.HardExpiry != nil {
		n.Kids = append(n.Kids, awsproto.Bool("HardExpiry", *p.HardExpiry))
	}
	return []awsproto.Node{n}, nil
}

func (h *Handler) updateAccountPasswordPolicy(r *http.Request, c *awsproto.Call) ([]awsproto.Node, error) {
	var up iam.PasswordPolicyUpdate
	for _, b := range []struct {
		name string
		to   *bool
	}{
		{"RequireSymbols", &up.RequireSymbols},
		{"RequireNumbers", &up.RequireNumbers},
		{"RequireUppercaseCharacters", &up.RequireUppercaseCharacters},
		{"RequireLowercaseCharacters", &up.RequireLowercaseCharacters},
		{"AllowUsersToChangePassword", &up.AllowUsersToChangePassword},
	} {
		v, err := boolParam(c, b.name)
		if err != nil {
			return nil, err
		}
		*b.to = v
	}
	for _, n := range []struct {
		name string
		to   **int
	}{
		{"MinimumPasswordLength", &up.MinimumPasswordLength},
		{"MaxPasswordAge", &up.MaxPasswordAge},
		{"PasswordReusePrevention", &up.PasswordReusePrevention},
	} {
		v, err := intParam(c, n.name)
		if err != nil {
			return nil, err
		}
		*n.to = v
	}
	if c.Form.Get("HardExpiry") != "" {
		v, err := boolParam(c, "HardExpiry")
		if err != nil {
			return nil, err
		}
		up.HardExpiry = &v
	}
	_, err := h.IAM.UpdateAccountPasswordPolicy(r.Context(), up)
	return nil, err
}

func (h *Handler) deleteAccountPasswordPolicy(r *http.Request, _ *awsproto.Call) ([]awsproto.Node, error) {
	return nil, h.IAM.DeleteAccountPasswordPolicy(r.Context())
}
