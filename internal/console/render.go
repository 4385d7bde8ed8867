package console

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

//go:embed templates static
var files embed.FS

func staticFiles() http.Handler {
	sub, _ := fs.Sub(files, "static")
	fsrv := http.StripPrefix("/static", http.FileServer(http.FS(sub)))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fsrv.ServeHTTP(w, r)
	})
}

// pageData is what every page's layout shows around its content.
type pageData struct {
	Title   string
	Session *Session
	// Crumbs lead from the cluster list to this page.
	Crumbs []crumb
	// Flash is a message from the action that led here.
	Flash string
	// Error is an AWS (or Kubernetes) error to show at the top.
	Error *shownError
	Data  any
}

type crumb struct{ Name, Href string }

// shownError is an error as the console shows it: the API's code and
// message (AccessDeniedException: User: ... is not authorized to ...).
type shownError struct {
	Code, Message string
}

// pages are the console's templates: each is the layout with one page's
// files, registered by the file that serves it.
var pages = struct {
	sync.Once
	files map[string][]string
	set   map[string]*template.Template
}{files: map[string][]string{}}

// registerPage names a page made of the layout and files (under templates/).
func registerPage(name string, files ...string) { pages.files[name] = files }

func init() {
	registerPage("signin", "signin.html")
	registerPage("error", "error.html")
}

func templates() map[string]*template.Template {
	pages.Do(func() {
		base := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/parts.html"))
		pages.set = map[string]*template.Template{}
		for name, fs := range pages.files {
			t := template.Must(base.Clone())
			for _, f := range fs {
				template.Must(t.ParseFS(files, "templates/"+f))
			}
			pages.set[name] = t
		}
	})
	return pages.set
}

// render writes page name (its layout with content), or, for an htmx
// request with a fragment named, only that fragment.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name string, d *pageData) {
	c.renderTemplate(w, r, status, name, "layout.html", d)
}

// formError is an action's failure shown above its form, kept filled in.
func formError(d *pageData, err error) int {
	se, status := explain(err)
	d.Error = se
	if status < 400 {
		status = http.StatusBadRequest
	}
	return status
}

// renderForm writes a form's page, with err (the API's refusal, or the
// console's own of bad input) above it and the status it calls for.
func (c *Console) renderForm(w http.ResponseWriter, r *http.Request, name string, d *pageData, err error) {
	status := http.StatusOK
	if err != nil {
		status = formError(d, err)
	}
	c.render(w, r, status, name, d)
}

// renderFragment writes one template of a page, for htmx to swap in.
func (c *Console) renderFragment(w http.ResponseWriter, r *http.Request, name, fragment string, d *pageData) {
	c.renderTemplate(w, r, http.StatusOK, name, fragment, d)
}

func (c *Console) renderTemplate(w http.ResponseWriter, r *http.Request, status int, name, tmpl string, d *pageData) {
	t, ok := templates()[name]
	if !ok {
		http.Error(w, "no page "+name, http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, tmpl, d); err != nil {
		c.Log.Error("console page", "page", name, "err", err)
		http.Error(w, "The page could not be shown: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// fail shows err: an AWS error with its code and message and the HTTP
// status the API answered, a Kubernetes error likewise, else a 500.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, s *Session, err error) {
	se, status := explain(err)
	if status >= 500 {
		c.Log.Warn("console", "path", r.URL.Path, "err", err)
	}
	if isHTMX(r) {
		// htmx swaps 2xx answers only: the alert replaces the target.
		c.renderTemplate(w, r, http.StatusOK, "error", "alert", &pageData{Session: s, Error: se})
		return
	}
	c.render(w, r, status, "error", &pageData{Title: se.Code, Session: s, Error: se, Crumbs: []crumb{{"Clusters", Prefix + "/clusters"}}})
}

// explain turns an error into what the console shows and its status.
func explain(err error) (*shownError, int) {
	var api smithy.APIError
	if errors.As(err, &api) {
		status := http.StatusBadRequest
		var re *smithyhttp.ResponseError
		if errors.As(err, &re) {
			status = re.HTTPStatusCode()
		}
		return &shownError{Code: api.ErrorCode(), Message: api.ErrorMessage()}, status
	}
	var k8s apierrors.APIStatus
	if errors.As(err, &k8s) {
		st := k8s.Status()
		return &shownError{Code: string(st.Reason), Message: st.Message}, int(st.Code)
	}
	if errors.Is(err, errNotFound) {
		return &shownError{Code: "NotFound", Message: "There is no such page in the console."}, http.StatusNotFound
	}
	var bad badInput
	if errors.As(err, &bad) {
		return &shownError{Code: "ValidationException", Message: string(bad)}, http.StatusBadRequest
	}
	return &shownError{Code: "InternalError", Message: err.Error()}, http.StatusInternalServerError
}

// badInput is a form the console refuses before calling any API.
type badInput string

func (b badInput) Error() string { return string(b) }

var funcs = template.FuncMap{
	"statusClass": statusClass,
	"when": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			if v.IsZero() {
				return "-"
			}
			return v.UTC().Format("2006-01-02 15:04:05 UTC")
		case *time.Time:
			if v == nil || v.IsZero() {
				return "-"
			}
			return v.UTC().Format("2006-01-02 15:04:05 UTC")
		}
		return fmt.Sprint(t)
	},
	"ago": func(t any) string {
		var v time.Time
		switch x := t.(type) {
		case time.Time:
			v = x
		case *time.Time:
			if x != nil {
				v = *x
			}
		}
		if v.IsZero() {
			return "-"
		}
		return humanDuration(time.Since(v))
	},
	"deref": func(p any) any {
		switch v := p.(type) {
		case *string:
			if v == nil {
				return ""
			}
			return *v
		case *int32:
			if v == nil {
				return 0
			}
			return *v
		case *bool:
			return v != nil && *v
		}
		return p
	},
	"join":     strings.Join,
	"sortKeys": sortedKeys,
	"changing": isChanging,
	"lower":    strings.ToLower,
	"shortARN": shortARN,
}

// shortARN is the part of an ARN after its account: user/alice,
// assumed-role/admin/session.
func shortARN(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) == 6 && parts[5] != "" {
		return parts[5]
	}
	return arn
}

// statusClass is the colour a status gets: green when it is well, blue
// while it changes, red when it failed or is going away, amber when degraded.
func statusClass(status any) string {
	switch strings.ToUpper(fmt.Sprint(status)) {
	case "ACTIVE", "SUCCESSFUL", "RUNNING", "READY", "TRUE", "BOUND", "SUCCEEDED", "COMPLETE", "ENABLED":
		return "ok"
	case "CREATING", "UPDATING", "PENDING", "INPROGRESS", "IN_PROGRESS", "CONTAINERCREATING":
		return "busy"
	case "DELETING", "FAILED", "CREATE_FAILED", "DELETE_FAILED", "CANCELLED", "ERROR", "CRASHLOOPBACKOFF", "FALSE", "TERMINATING":
		return "bad"
	case "DEGRADED", "UPDATE_FAILED", "UNKNOWN":
		return "warn"
	}
	return "plain"
}

// isChanging is whether a status will change by itself, so its page
// refreshes it.
func isChanging(status any) bool {
	return statusClass(status) == "busy" || strings.ToUpper(fmt.Sprint(status)) == "DELETING"
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func humanDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}
