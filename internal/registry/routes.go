package registry

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
)

// The ECR actions registry requests take, as IAM names them.
const (
	ActionBatchGetImage               = "ecr:BatchGetImage"
	ActionGetDownloadURLForLayer      = "ecr:GetDownloadUrlForLayer"
	ActionBatchCheckLayerAvailability = "ecr:BatchCheckLayerAvailability"
	ActionInitiateLayerUpload         = "ecr:InitiateLayerUpload"
	ActionUploadLayerPart             = "ecr:UploadLayerPart"
	ActionCompleteLayerUpload         = "ecr:CompleteLayerUpload"
	ActionPutImage                    = "ecr:PutImage"
	ActionListImages                  = "ecr:ListImages"
	ActionBatchDeleteImage            = "ecr:BatchDeleteImage"
	ActionDescribeRepositories        = "ecr:DescribeRepositories"
)

// access is what one registry request needs before it is served.
type access struct {
	// repository is the repository the path names; "" for /v2/ and the catalog.
	repository string
	// actions are the ECR actions the request takes on repository (on "*"
	// for the catalog); none for the version check, which any valid
	// credential passes.
	actions []string
	// write marks a request that changes the repository: never allowed
	// on the public repositories keks seeds.
	write bool
	// manifest marks a /manifests/ route, whose pushes are kept on disk.
	manifest bool
	// reference is a manifest route's tag or digest.
	reference string
	// refusal is set for a request keks does not serve: it is answered
	// as it is, without asking anyone.
	refusal *ociError
}

// classify reads a request as the OCI distribution API defines it and
// says what ECR would authorize it as.
//
// It follows go-containerregistry's own dispatch (blobs, then manifests,
// tags, catalog; each by the path's last elements), so that the request it
// passes on is served as what it was authorized as: a path that the inner
// registry would read otherwise is refused here.
func classify(r *http.Request) access {
	p := r.URL.Path
	if p == "/v2" || p == "/v2/" {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			return unsupported(r)
		}
		return access{}
	}
	if !strings.HasPrefix(p, "/v2/") {
		return unknownRoute(r)
	}
	elem := strings.Split(p, "/")[1:] // "v2", name..., route...
	// Blob paths are read without a trailing slash ("/blobs/uploads/").
	b := elem
	if b[len(b)-1] == "" {
		b = b[:len(b)-1]
	}
	n := len(b)
	switch {
	case n >= 3 && b[n-2] == "blobs":
		return blob(r, b[1:n-2], b[n-1])
	case n >= 3 && b[n-3] == "blobs" && b[n-2] == "uploads":
		return upload(r, b[1:n-3])
	}
	n = len(elem)
	switch {
	case n >= 4 && elem[n-2] == "manifests":
		return manifest(r, elem[1:n-2], elem[n-1])
	case n >= 4 && elem[n-2] == "tags":
		return tags(r, elem[1:n-2], elem[n-1])
	case p == "/v2/_catalog":
		if r.Method != http.MethodGet {
			return unsupported(r)
		}
		return access{actions: []string{ActionDescribeRepositories}}
	case n >= 4 && elem[n-2] == "referrers":
		// OCI 1.1's referrers API is not served; clients that find it
		// missing (404) fall back to the tag schema, as the spec says.
		return access{refusal: &ociError{Status: http.StatusNotFound, Code: "UNSUPPORTED", Message: "keks's registry does not serve the referrers API"}}
	}
	return unknownRoute(r)
}

// blob: /v2/<name>/blobs/<digest>, and POST /v2/<name>/blobs/uploads/.
func blob(r *http.Request, name []string, target string) access {
	switch r.Method {
	case http.MethodGet:
		return onRepository(name, false, ActionGetDownloadURLForLayer)
	case http.MethodHead:
		return onRepository(name, false, ActionBatchCheckLayerAvailability)
	case http.MethodPost:
		if target != "uploads" {
			return unknownRoute(r)
		}
		if r.URL.Query().Get("digest") != "" {
			// A monolithic upload: the whole layer in one request.
			return onRepository(name, true, ActionInitiateLayerUpload, ActionUploadLayerPart, ActionCompleteLayerUpload)
		}
		// A cross-repository mount (?mount=&from=) starts an upload
		// too: the inner registry does not mount, and clients then upload.
		return onRepository(name, true, ActionInitiateLayerUpload)
	}
	// DELETE included: blobs are stored once for every repository, and
	// ECR has no such call.
	return unsupported(r)
}

// upload: /v2/<name>/blobs/uploads/<id>, an upload session.
func upload(r *http.Request, name []string) access {
	switch r.Method {
	case http.MethodPatch:
		return onRepository(name, true, ActionUploadLayerPart)
	case http.MethodPut:
		if r.ContentLength != 0 { // the last chunk may come with the close
			return onRepository(name, true, ActionUploadLayerPart, ActionCompleteLayerUpload)
		}
		return onRepository(name, true, ActionCompleteLayerUpload)
	case http.MethodPost:
		return unknownRoute(r)
	}
	// GET (status) and DELETE (cancel) are not served: the inner registry
	// would read the session id as a blob's digest.
	return unsupported(r)
}

// manifest: /v2/<name>/manifests/<reference>.
func manifest(r *http.Request, name []string, reference string) access {
	if reference == "" {
		return unknownRoute(r)
	}
	var a access
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		a = onRepository(name, false, ActionBatchGetImage)
	case http.MethodPut:
		a = onRepository(name, true, ActionPutImage)
	case http.MethodDelete:
		a = onRepository(name, true, ActionBatchDeleteImage)
	default:
		return unsupported(r)
	}
	a.manifest = a.refusal == nil
	a.reference = reference
	return a
}

// tags: /v2/<name>/tags/list.
func tags(r *http.Request, name []string, last string) access {
	if last != "list" {
		return unknownRoute(r) // the inner registry would list them anyway
	}
	if r.Method != http.MethodGet {
		return unsupported(r)
	}
	return onRepository(name, false, ActionListImages)
}

// repositoryName is ECR's (and the OCI spec's) repository name pattern.
var repositoryName = regexp.MustCompile(`^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$`)

// onRepository is a request on the named repository, or NAME_INVALID when
// the name is not one: no request reaches the inner registry with a name
// ECR could not have.
func onRepository(name []string, write bool, actions ...string) access {
	repo := strings.Join(name, "/")
	if len(repo) < 2 || len(repo) > 256 || !repositoryName.MatchString(repo) {
		return access{refusal: &ociError{Status: http.StatusBadRequest, Code: "NAME_INVALID",
			Message: fmt.Sprintf("Invalid repository name %q: ECR's names are 2 to 256 characters of lowercase letters, digits and separators (. _ __ - /)", repo)}}
	}
	return access{repository: repo, actions: actions, write: write}
}

func unsupported(r *http.Request) access {
	return access{refusal: &ociError{Status: http.StatusMethodNotAllowed, Code: "UNSUPPORTED",
		Message: fmt.Sprintf("keks's registry does not serve %s %s", r.Method, r.URL.Path)}}
}

func unknownRoute(r *http.Request) access {
	return access{refusal: &ociError{Status: http.StatusNotFound, Code: "UNSUPPORTED",
		Message: fmt.Sprintf("%s %s is not a route of the OCI distribution API", r.Method, r.URL.Path)}}
}
