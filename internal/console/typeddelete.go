package console

import (
	"context"
	"net/http"
)

func init() { registerPage("delete", "delete.html") }

// typedDelete is a delete the user confirms by typing the thing's name, as
// the AWS console asks: one page and one POST for clusters, node groups,
// Fargate profiles and add-ons alike.
type typedDelete struct {
	Kind, Name, Note string
	// Page is the thing's own page (Cancel), Done where the browser goes
	// once the delete is accepted.
	Page, Done string
	Crumbs     []crumb
	// Preserve offers keeping the add-on's software on the cluster.
	Preserve bool
	// Exists fails for a thing that is gone (or may not be read), so the
	// page is not offered for it.
	Exists func(ctx context.Context, cl *awsClients) error
	// Delete deletes it; preserve is the form's choice.
	Delete func(ctx context.Context, cl *awsClients, preserve bool) error
}

// deleteData is what delete.html shows.
type deleteData struct {
	Kind, Name, Action, Cancel, Typed, Note string
	Preserve, Offer                         bool
}

// typedDeleteRoutes serves path (…/delete) for what describe names: the
// page, and a POST that deletes only when the name is typed exactly,
// calling nothing otherwise.
func (c *Console) typedDeleteRoutes(mux *http.ServeMux, path string, describe func(r *http.Request) typedDelete) {
	page := func(w http.ResponseWriter, r *http.Request, s *Session, t typedDelete, typed string, preserve bool, err error) {
		d := &pageData{Title: "Delete " + t.Name, Session: s, Crumbs: append(t.Crumbs, crumb{"Delete", r.URL.Path}),
			Data: &deleteData{Kind: t.Kind, Name: t.Name, Action: r.URL.Path, Cancel: t.Page, Typed: typed, Note: t.Note,
				Offer: t.Preserve, Preserve: preserve}}
		status := http.StatusOK
		if err != nil {
			status = formError(d, err)
		}
		c.render(w, r, status, "delete", d)
	}
	c.page(mux, "GET "+path, func(w http.ResponseWriter, r *http.Request, s *Session) error {
		cl, err := c.clients.awsFor(r.Context(), s)
		if err != nil {
			return err
		}
		t := describe(r)
		if err := t.Exists(r.Context(), cl); err != nil {
			return err
		}
		page(w, r, s, t, "", false, nil)
		return nil
	})
	c.page(mux, "POST "+path, func(w http.ResponseWriter, r *http.Request, s *Session) error {
		t := describe(r)
		typed, preserve := r.PostFormValue("confirm"), r.PostFormValue("preserve") == "true"
		if typed != t.Name {
			page(w, r, s, t, typed, preserve, badInput("To delete the "+t.Kind+", type its name, "+t.Name+", exactly."))
			return nil
		}
		cl, err := c.clients.awsFor(r.Context(), s)
		if err != nil {
			return err
		}
		if err := t.Delete(r.Context(), cl, preserve); err != nil {
			page(w, r, s, t, typed, preserve, err)
			return nil
		}
		http.Redirect(w, r, t.Done, http.StatusSeeOther)
		return nil
	})
}
