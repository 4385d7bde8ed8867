package console

import (
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

func init() { registerPage("password", "password.html") }

type passwordData struct {
	Required bool
	UserName string
}

func (c *Console) passwordRoutes(mux *http.ServeMux) {
	c.page(mux, "GET /password", c.passwordPage)
	c.page(mux, "POST /password", c.changePassword)
}

func (c *Console) passwordPage(w http.ResponseWriter, r *http.Request, s *Session) error {
	c.render(w, r, http.StatusOK, "password", &pageData{Title: "Change password", Session: s,
		Data: passwordData{Required: s.PasswordResetRequired, UserName: s.UserName}})
	return nil
}

// changePassword is IAM's ChangePassword as the user itself: its policies
// (iam:ChangePassword on its own ARN, which the account's password policy
// grants when it lets users change theirs) and the password policy apply.
func (c *Console) changePassword(w http.ResponseWriter, r *http.Request, s *Session) error {
	d := &pageData{Title: "Change password", Session: s, Data: passwordData{Required: s.PasswordResetRequired, UserName: s.UserName}}
	if s.UserName == "" {
		return badInput("Only an IAM user signed in with its password has a console password to change.")
	}
	if r.PostFormValue("new") != r.PostFormValue("confirm") {
		d.Error = &shownError{Code: "ValidationException", Message: "The new passwords do not match."}
		c.render(w, r, http.StatusBadRequest, "password", d)
		return nil
	}
	cl, err := c.clients.awsFor(r.Context(), s)
	if err != nil {
		return err
	}
	if _, err := cl.IAM.ChangePassword(r.Context(), &iam.ChangePasswordInput{OldPassword: aws.String(r.PostFormValue("old")),
		NewPassword: aws.String(r.PostFormValue("new"))}); err != nil {
		var status int
		d.Error, status = explain(err)
		c.render(w, r, status, "password", d)
		return nil
	}
	if s.PasswordResetRequired {
		s.PasswordResetRequired = false
		if err := c.sessions.save(r.Context(), s); err != nil {
			return err
		}
	}
	http.Redirect(w, r, Prefix+"/clusters?flash=Your+password+was+changed.", http.StatusSeeOther)
	return nil
}
