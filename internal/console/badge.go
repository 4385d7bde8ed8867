package console

import (
	"net/http"
)

// statusBadge is the status badge of a thing's page (a node group, a
// Fargate profile), which htmx polls while the status changes.
type statusBadge struct {
	// Page is the thing's page, where a browser without htmx is sent;
	// Gone where the page goes once the thing is deleted.
	Page, Gone string
	// Template and Fragment name the badge's template.
	Template, Fragment string
	// View describes the thing as the fragment shows it.
	View func(cl *awsClients) (any, error)
}

// badgeRoute serves a badge at path.
func (c *Console) badgeRoute(mux *http.ServeMux, path string, of func(r *http.Request) statusBadge) {
	c.page(mux, "GET "+path, func(w http.ResponseWriter, r *http.Request, s *Session) error {
		b := of(r)
		cl, err := c.clients.awsFor(r.Context(), s)
		if err != nil {
			return err
		}
		view, err := b.View(cl)
		if computeGone(err) {
			w.Header().Set("HX-Redirect", b.Gone)
			return nil
		}
		if err != nil {
			return err
		}
		if !isHTMX(r) {
			http.Redirect(w, r, b.Page, http.StatusSeeOther)
			return nil
		}
		c.renderFragment(w, r, b.Template, b.Fragment, &pageData{Session: s, Data: view})
		return nil
	})
}
