package registry

import (
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// TestClassify covers every route of the OCI distribution API (end-1 to
// end-13 of the spec, plus the catalog), as ECR authorizes each.
func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		name    string
		method  string
		target  string
		body    string
		repo    string
		actions []string
		write   bool
		status  int    // of a refusal; 0 when the request is served
		code    string // of a refusal
	}{
		// end-1: the version check.
		{"version check", "GET", "/v2/", "", "", nil, false, 0, ""},
		{"version check without slash", "GET", "/v2", "", "", nil, false, 0, ""},
		{"version check HEAD", "HEAD", "/v2/", "", "", nil, false, 0, ""},
		{"version check POST", "POST", "/v2/", "", "", nil, false, 405, "UNSUPPORTED"},

		// end-2: blobs.
		{"blob GET", "GET", "/v2/team/app/blobs/" + digest, "", "team/app", []string{ActionGetDownloadURLForLayer}, false, 0, ""},
		{"blob HEAD", "HEAD", "/v2/team/app/blobs/" + digest, "", "team/app", []string{ActionBatchCheckLayerAvailability}, false, 0, ""},
		{"blob of a one-element name", "GET", "/v2/busybox/blobs/" + digest, "", "busybox", []string{ActionGetDownloadURLForLayer}, false, 0, ""},
		// end-10: blob deletes are not ECR's, and blobs are shared.
		{"blob DELETE", "DELETE", "/v2/team/app/blobs/" + digest, "", "", nil, false, 405, "UNSUPPORTED"},
		{"blob PUT", "PUT", "/v2/team/app/blobs/" + digest, "", "", nil, false, 405, "UNSUPPORTED"},

		// end-3, end-7, end-9: manifests.
		{"manifest GET by tag", "GET", "/v2/team/app/manifests/v1", "", "team/app", []string{ActionBatchGetImage}, false, 0, ""},
		{"manifest GET by digest", "GET", "/v2/team/app/manifests/" + digest, "", "team/app", []string{ActionBatchGetImage}, false, 0, ""},
		{"manifest HEAD", "HEAD", "/v2/team/app/manifests/v1", "", "team/app", []string{ActionBatchGetImage}, false, 0, ""},
		{"manifest PUT", "PUT", "/v2/team/app/manifests/v1", "{}", "team/app", []string{ActionPutImage}, true, 0, ""},
		{"manifest DELETE", "DELETE", "/v2/team/app/manifests/" + digest, "", "team/app", []string{ActionBatchDeleteImage}, true, 0, ""},
		{"manifest POST", "POST", "/v2/team/app/manifests/v1", "", "", nil, false, 405, "UNSUPPORTED"},
		{"manifest without reference", "GET", "/v2/team/app/manifests/", "", "", nil, false, 404, "UNSUPPORTED"},

		// end-4a, end-4b, end-11: starting uploads.
		{"upload start", "POST", "/v2/team/app/blobs/uploads/", "", "team/app", []string{ActionInitiateLayerUpload}, true, 0, ""},
		{"upload start without slash", "POST", "/v2/team/app/blobs/uploads", "", "team/app", []string{ActionInitiateLayerUpload}, true, 0, ""},
		{"monolithic upload", "POST", "/v2/team/app/blobs/uploads/?digest=" + digest, "layer", "team/app",
			[]string{ActionInitiateLayerUpload, ActionUploadLayerPart, ActionCompleteLayerUpload}, true, 0, ""},
		{"cross-repository mount", "POST", "/v2/team/app/blobs/uploads/?mount=" + digest + "&from=team/other", "", "team/app",
			[]string{ActionInitiateLayerUpload}, true, 0, ""},
		{"POST to a blob", "POST", "/v2/team/app/blobs/" + digest, "", "", nil, false, 404, "UNSUPPORTED"},

		// end-5, end-6: an upload session.
		{"upload chunk", "PATCH", "/v2/team/app/blobs/uploads/1234", "chunk", "team/app", []string{ActionUploadLayerPart}, true, 0, ""},
		{"upload close", "PUT", "/v2/team/app/blobs/uploads/1234?digest=" + digest, "", "team/app", []string{ActionCompleteLayerUpload}, true, 0, ""},
		{"upload close with the last chunk", "PUT", "/v2/team/app/blobs/uploads/1234?digest=" + digest, "chunk", "team/app",
			[]string{ActionUploadLayerPart, ActionCompleteLayerUpload}, true, 0, ""},
		// end-13 and cancel: the inner registry would read the id as a digest.
		{"upload status", "GET", "/v2/team/app/blobs/uploads/1234", "", "", nil, false, 405, "UNSUPPORTED"},
		{"upload status by a digest-like id", "GET", "/v2/team/app/blobs/uploads/" + digest, "", "", nil, false, 405, "UNSUPPORTED"},
		{"upload cancel", "DELETE", "/v2/team/app/blobs/uploads/1234", "", "", nil, false, 405, "UNSUPPORTED"},
		{"POST to an upload", "POST", "/v2/team/app/blobs/uploads/1234", "", "", nil, false, 404, "UNSUPPORTED"},

		// end-8a, end-8b: tags.
		{"tags", "GET", "/v2/team/app/tags/list", "", "team/app", []string{ActionListImages}, false, 0, ""},
		{"tags paginated", "GET", "/v2/team/app/tags/list?n=10&last=v1", "", "team/app", []string{ActionListImages}, false, 0, ""},
		{"tags other than list", "GET", "/v2/team/app/tags/all", "", "", nil, false, 404, "UNSUPPORTED"},
		{"tags DELETE", "DELETE", "/v2/team/app/tags/list", "", "", nil, false, 405, "UNSUPPORTED"},

		// end-12a, end-12b: referrers, not served (404 as the spec asks).
		{"referrers", "GET", "/v2/team/app/referrers/" + digest, "", "", nil, false, 404, "UNSUPPORTED"},
		{"referrers by type", "GET", "/v2/team/app/referrers/" + digest + "?artifactType=application/x", "", "", nil, false, 404, "UNSUPPORTED"},

		// The catalog: every repository's name, as DescribeRepositories lists them.
		{"catalog", "GET", "/v2/_catalog", "", "", []string{ActionDescribeRepositories}, false, 0, ""},
		{"catalog paginated", "GET", "/v2/_catalog?n=5", "", "", []string{ActionDescribeRepositories}, false, 0, ""},
		{"catalog under a name", "GET", "/v2/team/_catalog", "", "", nil, false, 404, "UNSUPPORTED"},
		{"catalog DELETE", "DELETE", "/v2/_catalog", "", "", nil, false, 405, "UNSUPPORTED"},

		// Names are ECR's; route words may be name components, read as the
		// inner registry reads them (by the path's last elements).
		{"name with route words", "GET", "/v2/a/manifests/b/blobs/" + digest, "", "a/manifests/b", []string{ActionGetDownloadURLForLayer}, false, 0, ""},
		{"upload under a name with route words", "PUT", "/v2/a/manifests/b/blobs/uploads/1?digest=" + digest, "", "a/manifests/b",
			[]string{ActionCompleteLayerUpload}, true, 0, ""},
		{"name ending in blobs", "GET", "/v2/x/blobs/blobs/" + digest, "", "x/blobs", []string{ActionGetDownloadURLForLayer}, false, 0, ""},
		{"uppercase name", "GET", "/v2/Team/app/manifests/v1", "", "", nil, false, 400, "NAME_INVALID"},
		{"one-character name", "GET", "/v2/a/manifests/v1", "", "", nil, false, 400, "NAME_INVALID"},
		{"empty name component", "GET", "/v2//app/manifests/v1", "", "", nil, false, 400, "NAME_INVALID"},
		{"dot-dot in the name", "GET", "/v2/team/../app/manifests/v1", "", "", nil, false, 400, "NAME_INVALID"},
		{"no name", "GET", "/v2/blobs/" + digest, "", "", nil, false, 400, "NAME_INVALID"},
		{"too long a name", "GET", "/v2/" + strings.Repeat("a", 257) + "/manifests/v1", "", "", nil, false, 400, "NAME_INVALID"},

		// Anything else is not the distribution API.
		{"outside /v2/", "GET", "/team/app/manifests/v1", "", "", nil, false, 404, "UNSUPPORTED"},
		{"a name alone", "GET", "/v2/team/app", "", "", nil, false, 404, "UNSUPPORTED"},
		{"a trailing slash after a reference", "GET", "/v2/team/app/manifests/v1/", "", "", nil, false, 404, "UNSUPPORTED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.target, strings.NewReader(tc.body))
			if tc.body == "" {
				req.ContentLength = 0
			}
			// httptest cleans nothing: the path is as sent.
			got := classify(req)
			if tc.status != 0 {
				if got.refusal == nil || got.refusal.Status != tc.status || got.refusal.Code != tc.code {
					t.Fatalf("refusal %+v, want %d %s", got.refusal, tc.status, tc.code)
				}
				return
			}
			if got.refusal != nil {
				t.Fatalf("refused: %+v", got.refusal)
			}
			if got.repository != tc.repo || !slices.Equal(got.actions, tc.actions) || got.write != tc.write {
				t.Errorf("got %q %v write=%v, want %q %v write=%v", got.repository, got.actions, got.write, tc.repo, tc.actions, tc.write)
			}
		})
	}
}

// TestClassifyMarksManifestRoutes: only manifest routes are kept on disk,
// whatever words the repository's name holds.
func TestClassifyMarksManifestRoutes(t *testing.T) {
	for _, tc := range []struct {
		method, target string
		want           bool
	}{
		{"PUT", "/v2/team/app/manifests/v1", true},
		{"DELETE", "/v2/team/app/manifests/v1", true},
		{"PUT", "/v2/manifests/x/manifests/v1", true},
		{"PUT", "/v2/a/manifests/b/blobs/uploads/1?digest=" + digest, false},
		{"PUT", "/v2/team/app/blobs/uploads/1?digest=" + digest, false},
		{"POST", "/v2/team/app/blobs/uploads/?digest=" + digest, false},
		{"GET", "/v2/team/app/tags/list", false},
		{"GET", "/v2/team/app/blobs/" + digest, false},
	} {
		if got := classify(httptest.NewRequest(tc.method, tc.target, nil)); got.manifest != tc.want || got.refusal != nil {
			t.Errorf("%s %s: manifest=%v refusal=%v, want manifest=%v", tc.method, tc.target, got.manifest, got.refusal, tc.want)
		}
	}
}
