package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/keksdev/keks/internal/awserr"
	"github.com/keksdev/keks/internal/ecr"
)

const (
	testAccount = "111122223333"
	testRegion  = "eu-west-1"
	aliceARN    = "arn:aws:iam::" + testAccount + ":user/alice"
	bobARN      = "arn:aws:iam::" + testAccount + ":user/bob"
	nodeARN     = "arn:aws:sts::" + testAccount + ":assumed-role/nodes/i-node"
)

// subjects are the passwords the fixture's registry accepts.
var subjects = map[string]ecr.Subject{
	"alice": {PrincipalARN: aliceARN, Account: testAccount},                      // IAM allows her everything
	"bob":   {PrincipalARN: bobARN, Account: testAccount},                        // IAM allows him nothing
	"node":  {PrincipalARN: nodeARN, Account: testAccount, InstanceID: "i-node"}, // an instance with a role IAM allows
	"bare":  {Account: testAccount, InstanceID: "i-bare"},                        // an instance without a role
}

// fakeIAM allows every action to the principals it lists and records what
// it was asked.
type fakeIAM struct {
	mu      sync.Mutex
	allowed map[string]bool
	fail    error // answered instead, when set
	asked   []string
}

func (f *fakeIAM) authorize(_ *http.Request, principal, action, resource string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, principal+" "+action+" "+resource)
	if f.fail != nil {
		return f.fail
	}
	if !f.allowed[principal] {
		return awserr.Errorf(awserr.CodeAccessDenied, "User: %s is not authorized to perform: %s on resource: %s because no identity-based policy allows the %s action",
			principal, action, resource, action)
	}
	return nil
}

// questions returns and forgets what IAM was asked.
func (f *fakeIAM) questions() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.asked
	f.asked = nil
	return out
}

// fakeRepositories holds the repositories made with CreateRepository.
type fakeRepositories map[string]bool

func (f fakeRepositories) RepositoryARN(account, name string) string {
	return "arn:aws:ecr:" + testRegion + ":" + account + ":repository/" + name
}

func (f fakeRepositories) RepositoryExists(_ context.Context, account, name string) (bool, error) {
	return account == testAccount && f[name], nil
}

type fixture struct {
	dir string
	reg *Registry
	srv *httptest.Server
	iam *fakeIAM
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{dir: t.TempDir(), iam: &fakeIAM{allowed: map[string]bool{aliceARN: true, nodeARN: true}}}
	f.open(t)
	return f
}

// open (re)opens the registry over the fixture's directory.
func (f *fixture) open(t *testing.T) {
	t.Helper()
	reg, err := New(f.dir, func(_ context.Context, password string) (ecr.Subject, error) {
		if s, ok := subjects[password]; ok {
			return s, nil
		}
		return ecr.Subject{}, errors.New("no such password")
	}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	reg.Authorize = f.iam.authorize
	reg.Repositories = fakeRepositories{"team/app": true, "team/other": true}
	reg.Public = PublicRepositories("busybox:latest", "eks/pause:3.10")
	if f.srv != nil {
		f.srv.Close()
	}
	f.reg, f.srv = reg, httptest.NewServer(reg)
	t.Cleanup(f.srv.Close)
}

func (f *fixture) ref(t *testing.T, repoTag string) name.Tag {
	t.Helper()
	tag, err := name.NewTag(strings.TrimPrefix(f.srv.URL, "http://")+"/"+repoTag, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	return tag
}

func as(password string) remote.Option {
	return remote.WithAuth(&authn.Basic{Username: "AWS", Password: password})
}

func (f *fixture) push(t *testing.T, password, repoTag string, img v1.Image) error {
	t.Helper()
	return remote.Write(f.ref(t, repoTag), img, as(password))
}

// pull fetches the image and reads every blob of it.
func (f *fixture) pull(t *testing.T, password, repoTag string) (v1.Hash, error) {
	t.Helper()
	img, err := remote.Image(f.ref(t, repoTag), as(password))
	if err != nil {
		return v1.Hash{}, err
	}
	if _, err := img.RawConfigFile(); err != nil {
		return v1.Hash{}, err
	}
	layers, err := img.Layers()
	if err != nil {
		return v1.Hash{}, err
	}
	for _, l := range layers {
		rc, err := l.Compressed()
		if err != nil {
			return v1.Hash{}, err
		}
		_, err = io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil {
			return v1.Hash{}, err
		}
	}
	return img.Digest()
}

// seed pushes an image as keks does, in process.
func (f *fixture) seed(t *testing.T, repoTag string) v1.Image {
	t.Helper()
	img := randomImage(t)
	if err := remote.Write(f.ref(t, repoTag), img, remote.WithTransport(f.reg.Transport())); err != nil {
		t.Fatalf("seed %s: %v", repoTag, err)
	}
	return img
}

func randomImage(t *testing.T) v1.Image {
	t.Helper()
	img, err := random.Image(512, 2)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func digestOf(t *testing.T, img v1.Image) v1.Hash {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// wantRegistryError checks a client error's status and OCI code (and the
// start of its message).
func wantRegistryError(t *testing.T, err error, status int, code, message string) {
	t.Helper()
	var te *transport.Error
	if !errors.As(err, &te) {
		t.Fatalf("error %v, want %d %s", err, status, code)
	}
	if te.StatusCode == status && len(te.Errors) == 0 && te.Request != nil && te.Request.Method == http.MethodHead {
		return // an answer to HEAD has no body to read the code from
	}
	if te.StatusCode != status || len(te.Errors) == 0 || string(te.Errors[0].Code) != code || !strings.HasPrefix(te.Errors[0].Message, message) {
		t.Fatalf("error %d %+v, want %d %s %q", te.StatusCode, te.Errors, status, code, message)
	}
}

// request sends one registry request as password and returns its status and body.
func (f *fixture) request(t *testing.T, password, method, path string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if password != "" {
		req.SetBasicAuth("AWS", password)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestAllowedPushAndPullAskIAMEachAction(t *testing.T) {
	f := newFixture(t)
	img := randomImage(t)
	if err := f.push(t, "alice", "team/app:v1", img); err != nil {
		t.Fatalf("push: %v", err)
	}
	arn := "arn:aws:ecr:" + testRegion + ":" + testAccount + ":repository/team/app"
	asked := f.iam.questions()
	for _, action := range []string{ActionBatchCheckLayerAvailability, ActionInitiateLayerUpload, ActionUploadLayerPart, ActionCompleteLayerUpload, ActionPutImage} {
		if !slices.Contains(asked, aliceARN+" "+action+" "+arn) {
			t.Errorf("the push did not ask IAM for %s on %s; asked %q", action, arn, asked)
		}
	}
	got, err := f.pull(t, "alice", "team/app:v1")
	if err != nil || got != digestOf(t, img) {
		t.Fatalf("pull: %v %v", got, err)
	}
	asked = f.iam.questions()
	for _, action := range []string{ActionBatchGetImage, ActionGetDownloadURLForLayer} {
		if !slices.Contains(asked, aliceARN+" "+action+" "+arn) {
			t.Errorf("the pull did not ask IAM for %s on %s; asked %q", action, arn, asked)
		}
	}
	// An instance pulls as its role's session.
	if _, err := f.pull(t, "node", "team/app:v1"); err != nil {
		t.Fatalf("pull by an instance: %v", err)
	}
	if asked := f.iam.questions(); len(asked) == 0 || !strings.HasPrefix(asked[0], nodeARN+" ") {
		t.Errorf("an instance's pull asked %q, want its role session", asked)
	}
	status, body := f.request(t, "alice", "GET", "/v2/team/app/tags/list")
	if status != http.StatusOK || !strings.Contains(body, `"v1"`) {
		t.Errorf("tags: %d %s", status, body)
	}
	if asked := f.iam.questions(); !slices.Equal(asked, []string{aliceARN + " " + ActionListImages + " " + arn}) {
		t.Errorf("tags asked %q", asked)
	}
	status, _ = f.request(t, "alice", "DELETE", "/v2/team/app/manifests/v1")
	if asked := f.iam.questions(); status != http.StatusAccepted || !slices.Equal(asked, []string{aliceARN + " " + ActionBatchDeleteImage + " " + arn}) {
		t.Errorf("delete: %d, asked %q", status, asked)
	}
}

func TestDeniedAnswersAsECR(t *testing.T) {
	f := newFixture(t)
	if err := f.push(t, "alice", "team/app:v1", randomImage(t)); err != nil {
		t.Fatal(err)
	}
	status, body := f.request(t, "bob", "GET", "/v2/team/app/manifests/v1")
	want := `{"errors":[{"code":"DENIED","message":"User: ` + bobARN + ` is not authorized to perform: ecr:BatchGetImage on resource: arn:aws:ecr:` +
		testRegion + `:` + testAccount + `:repository/team/app because no identity-based policy allows the ecr:BatchGetImage action"}]}`
	if status != http.StatusForbidden || body != want {
		t.Errorf("got %d %s\nwant 403 %s", status, body, want)
	}
	_, err := f.pull(t, "bob", "team/app:v1")
	wantRegistryError(t, err, http.StatusForbidden, "DENIED", "User: "+bobARN+" is not authorized to perform: ecr:BatchGetImage")
	err = f.push(t, "bob", "team/app:v2", randomImage(t))
	wantRegistryError(t, err, http.StatusForbidden, "DENIED", "User: "+bobARN+" is not authorized to perform: ecr:")
	status, body = f.request(t, "bob", "POST", "/v2/team/app/blobs/uploads/")
	if status != http.StatusForbidden || !strings.Contains(body, "is not authorized to perform: ecr:InitiateLayerUpload on resource: arn:aws:ecr:") {
		t.Errorf("upload start by bob: %d %s", status, body)
	}
	// The catalog is DescribeRepositories on every repository.
	if status, _ := f.request(t, "bob", "GET", "/v2/_catalog"); status != http.StatusForbidden {
		t.Errorf("catalog for bob: %d", status)
	}
	if asked := f.iam.questions(); !slices.Contains(asked, bobARN+" "+ActionDescribeRepositories+" *") {
		t.Errorf("catalog asked %q", asked)
	}
}

func TestPublicRepositoriesArePulledWithoutAsking(t *testing.T) {
	f := newFixture(t)
	img := f.seed(t, "busybox:latest")
	f.iam.questions()
	for _, who := range []string{"bob", "bare", "alice"} {
		got, err := f.pull(t, who, "busybox:latest")
		if err != nil || got != digestOf(t, img) {
			t.Fatalf("pull by %s: %v %v", who, got, err)
		}
	}
	if status, _ := f.request(t, "bob", "GET", "/v2/busybox/tags/list"); status != http.StatusOK {
		t.Errorf("public tags: %d", status)
	}
	if asked := f.iam.questions(); len(asked) != 0 {
		t.Errorf("public pulls asked IAM %q", asked)
	}
}

func TestPublicRepositoriesRefusePushes(t *testing.T) {
	f := newFixture(t)
	img := f.seed(t, "busybox:latest")
	f.iam.questions()
	err := f.push(t, "alice", "busybox:latest", randomImage(t))
	wantRegistryError(t, err, http.StatusForbidden, "DENIED", "User: "+aliceARN+" is not authorized to perform: ecr:")
	if !strings.Contains(err.Error(), "public registry's name") {
		t.Errorf("refusal %v does not say why", err)
	}
	status, body := f.request(t, "node", "DELETE", "/v2/busybox/manifests/latest")
	if status != http.StatusForbidden || !strings.Contains(body, `"DENIED"`) || !strings.Contains(body, "ecr:BatchDeleteImage") {
		t.Errorf("delete of a public image: %d %s", status, body)
	}
	if asked := f.iam.questions(); len(asked) != 0 {
		t.Errorf("public pushes asked IAM %q", asked)
	}
	if got, err := f.pull(t, "bob", "busybox:latest"); err != nil || got != digestOf(t, img) {
		t.Errorf("the seeded image changed: %v %v", got, err)
	}
}

func TestPushNeedsTheRepository(t *testing.T) {
	f := newFixture(t)
	err := f.push(t, "alice", "team/missing:v1", randomImage(t))
	wantRegistryError(t, err, http.StatusNotFound, "NAME_UNKNOWN",
		"The repository with name 'team/missing' does not exist in the registry with id '"+testAccount+"'")
	// IAM decides first, as on ECR: bob learns nothing of what exists.
	err = f.push(t, "bob", "team/missing:v1", randomImage(t))
	wantRegistryError(t, err, http.StatusForbidden, "DENIED", "")
	// Names under a public one are not public.
	err = f.push(t, "alice", "busybox/extra:v1", randomImage(t))
	wantRegistryError(t, err, http.StatusNotFound, "NAME_UNKNOWN", "")
}

func TestInstanceWithoutRolePullsOnlyPublicImages(t *testing.T) {
	f := newFixture(t)
	if err := f.push(t, "alice", "team/app:v1", randomImage(t)); err != nil {
		t.Fatal(err)
	}
	_, err := f.pull(t, "bare", "team/app:v1")
	wantRegistryError(t, err, http.StatusForbidden, "DENIED", "Instance i-bare has no instance profile role")
}

func TestCredentialsAreRequired(t *testing.T) {
	f := newFixture(t)
	for _, password := range []string{"", "wrong"} {
		status, body := f.request(t, password, "GET", "/v2/")
		if status != http.StatusUnauthorized || !strings.Contains(body, `"UNAUTHORIZED"`) {
			t.Errorf("password %q: %d %s", password, status, body)
		}
	}
	if status, _ := f.request(t, "bare", "GET", "/v2/"); status != http.StatusOK {
		t.Errorf("version check with a valid password: %d", status)
	}
}

func TestUnservedRoutesAreRefusedWithoutAsking(t *testing.T) {
	f := newFixture(t)
	img := f.seed(t, "busybox:latest")
	layers, _ := img.Layers()
	d, _ := layers[0].Digest()
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{"DELETE", "/v2/busybox/blobs/" + d.String(), http.StatusMethodNotAllowed},
		{"DELETE", "/v2/team/app/blobs/uploads/" + d.String(), http.StatusMethodNotAllowed},
		{"GET", "/v2/team/app/referrers/" + d.String(), http.StatusNotFound},
		{"GET", "/v2/Team/app/manifests/v1", http.StatusBadRequest},
	} {
		if status, body := f.request(t, "alice", tc.method, tc.path); status != tc.status {
			t.Errorf("%s %s: %d %s, want %d", tc.method, tc.path, status, body, tc.status)
		}
	}
	if asked := f.iam.questions(); len(asked) != 0 {
		t.Errorf("refusals asked IAM %q", asked)
	}
	if _, err := f.pull(t, "bob", "busybox:latest"); err != nil {
		t.Errorf("the public image after a refused delete: %v", err)
	}
}

func TestAuthorizerFailureIsNotADenial(t *testing.T) {
	f := newFixture(t)
	f.iam.fail = errors.New("store unavailable")
	status, body := f.request(t, "alice", "GET", "/v2/team/app/manifests/v1")
	if status != http.StatusInternalServerError || strings.Contains(body, "store unavailable") {
		t.Errorf("got %d %s, want 500 without the cause", status, body)
	}
}

func TestUnwiredRegistryRefusesPrivateRepositories(t *testing.T) {
	f := newFixture(t)
	f.reg.Authorize = nil
	if status, _ := f.request(t, "alice", "GET", "/v2/team/app/tags/list"); status != http.StatusInternalServerError {
		t.Errorf("private request without an authorizer: %d", status)
	}
}

func TestBlobsStayInTheirRepository(t *testing.T) {
	f := newFixture(t)
	img := randomImage(t)
	if err := f.push(t, "alice", "team/app:v1", img); err != nil {
		t.Fatal(err)
	}
	layers, _ := img.Layers()
	d, _ := layers[0].Digest()
	for _, path := range []string{"/v2/team/other/blobs/" + d.String(), "/v2/busybox/blobs/" + d.String()} {
		for _, method := range []string{"GET", "HEAD"} {
			if status, _ := f.request(t, "alice", method, path); status != http.StatusNotFound {
				t.Errorf("%s %s: %d, want 404", method, path, status)
			}
		}
	}
	if status, _ := f.request(t, "alice", "GET", "/v2/team/app/blobs/"+d.String()); status != http.StatusOK {
		t.Errorf("the blob in its own repository: %d", status)
	}
	// A manifest naming another repository's blobs is refused, as ECR
	// refuses layers it does not have.
	raw, err := img.RawManifest()
	if err != nil {
		t.Fatal(err)
	}
	mt, _ := img.MediaType()
	req, _ := http.NewRequest("PUT", f.srv.URL+"/v2/team/other/manifests/stolen", strings.NewReader(string(raw)))
	req.SetBasicAuth("AWS", "alice")
	req.Header.Set("Content-Type", string(mt))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "MANIFEST_BLOB_UNKNOWN") {
		t.Errorf("manifest naming another repository's blobs: %d %s", resp.StatusCode, body)
	}
	// Pushed there for real, it is that repository's too.
	if err := f.push(t, "alice", "team/other:v1", img); err != nil {
		t.Fatalf("push the same image to another repository: %v", err)
	}
	if status, _ := f.request(t, "alice", "GET", "/v2/team/other/blobs/"+d.String()); status != http.StatusOK {
		t.Errorf("the blob once pushed to team/other: %d", status)
	}
}

func TestRestartKeepsImages(t *testing.T) {
	f := newFixture(t)
	img := randomImage(t)
	if err := f.push(t, "alice", "team/app:v1", img); err != nil {
		t.Fatal(err)
	}
	f.open(t)
	if got, err := f.pull(t, "alice", "team/app:v1"); err != nil || got != digestOf(t, img) {
		t.Fatalf("pull after a restart: %v %v", got, err)
	}
}

// TestImagesStoredBeforeLinksStayPullable: a registry directory from
// before repositories' blobs were kept apart has blobs and manifests but
// no links; opening it links each stored image's blobs to its repository.
func TestImagesStoredBeforeLinksStayPullable(t *testing.T) {
	f := newFixture(t)
	img := randomImage(t)
	if err := f.push(t, "alice", "team/app:v1", img); err != nil {
		t.Fatal(err)
	}
	seeded := f.seed(t, "busybox:latest")
	if err := os.RemoveAll(filepath.Join(f.dir, "links")); err != nil {
		t.Fatal(err)
	}
	f.open(t)
	for ref, want := range map[string]v1.Image{"team/app:v1": img, "busybox:latest": seeded} {
		if got, err := f.pull(t, "alice", ref); err != nil || got != digestOf(t, want) {
			t.Errorf("pull %s after linking: %v %v", ref, got, err)
		}
	}
	// Linking from manifests happens once: later opens trust the links.
	if _, err := os.Stat(filepath.Join(f.dir, "links", ".from-manifests")); err != nil {
		t.Errorf("no mark of the linking: %v", err)
	}
}

func TestPublicRepositories(t *testing.T) {
	got := PublicRepositories("pause:3.10", "eks/coredns:v1.11.1", "library/busybox:1.28", "library/busybox:latest")
	want := map[string]bool{"pause": true, "eks/coredns": true, "library/busybox": true}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestPublicImagesAreBuiltOnFirstPull: a tag of a public repository that
// is missing is built once, on the pull that asks for it; a tag keks
// cannot build stays unknown, and a private repository is never built.
func TestPublicImagesAreBuiltOnFirstPull(t *testing.T) {
	f := newFixture(t)
	var built []string
	var img v1.Image
	f.reg.Build = func(ctx context.Context, repository, tag string) bool {
		built = append(built, repository+":"+tag)
		if tag != "1.37.0-2" {
			return false
		}
		img = randomImage(t)
		if err := remote.Write(f.ref(t, repository+":"+tag), img, remote.WithTransport(f.reg.Transport()), remote.WithContext(ctx)); err != nil {
			t.Errorf("build: %v", err)
			return false
		}
		return true
	}
	got, err := f.pull(t, "bob", "busybox:1.37.0-2")
	if err != nil || got != digestOf(t, img) {
		t.Fatalf("first pull: %v %v", got, err)
	}
	if _, err := f.pull(t, "bob", "busybox:1.37.0-2"); err != nil {
		t.Fatalf("second pull: %v", err)
	}
	_, err = f.pull(t, "bob", "busybox:0.0")
	wantRegistryError(t, err, http.StatusNotFound, "MANIFEST_UNKNOWN", "")
	if _, err := f.pull(t, "alice", "team/app:1.37.0-2"); err == nil {
		t.Error("a private repository's missing tag was served")
	}
	if want := []string{"busybox:1.37.0-2", "busybox:0.0"}; !slices.Equal(built, want) {
		t.Errorf("built %q, want %q", built, want)
	}
}
