package insights

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"k8s.io/client-go/rest"
)

// Each API server counts its own requests: the scrape is the union.
func TestKubeSourceScrapesEveryAPIServer(t *testing.T) {
	serve := func(page string, status int) *httptest.Server {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/metrics" {
				http.NotFound(w, r)
				return
			}
			w.WriteHeader(status)
			_, _ = w.Write([]byte(page))
		}))
		t.Cleanup(s.Close)
		return s
	}
	a := serve(`apiserver_requested_deprecated_apis{group="",removed_release="",resource="componentstatuses",subresource="",version="v1"} 1`+"\n", 200)
	b := serve(`apiserver_requested_deprecated_apis{group="",removed_release="",resource="componentstatuses",subresource="",version="v1"} 1`+"\n"+
		`apiserver_requested_deprecated_apis{group="example.k8s.io",removed_release="1.38",resource="widgets",subresource="",version="v1beta1"} 1`+"\n", 200)
	down := serve("", http.StatusServiceUnavailable)
	src := KubeSource{APIServers: func(context.Context, string) ([]*rest.Config, error) {
		return []*rest.Config{{Host: a.URL}, {Host: down.URL}, {Host: b.URL}}, nil
	}}
	got, err := src.DeprecatedAPIs(context.Background(), "uid")
	want := []DeprecatedUse{{Version: "v1", Resource: "componentstatuses"}, {Group: "example.k8s.io", Version: "v1beta1", Resource: "widgets", RemovedRelease: "1.38"}}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("got %+v %v, want %+v", got, err, want)
	}
	src = KubeSource{APIServers: func(context.Context, string) ([]*rest.Config, error) { return []*rest.Config{{Host: down.URL}}, nil }}
	if _, err := src.DeprecatedAPIs(context.Background(), "uid"); err == nil {
		t.Error("no server answered: no error")
	}
}
