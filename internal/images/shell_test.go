package images

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
)

// keks/shell and keks/hello are keks's own, on busybox's layout: their
// configs are what the e2e tests and the README use.
func TestOwnImagesConfigs(t *testing.T) {
	shell, err := build(t, withBusybox(t, Shell)).ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(shell.Config.Cmd, []string{"sh"}) || shell.Config.Entrypoint != nil {
		t.Errorf("keks/shell: entrypoint %q cmd %q", shell.Config.Entrypoint, shell.Config.Cmd)
	}
	hello, err := build(t, withBusybox(t, Hello)).ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(hello.Config.Entrypoint, []string{"/usr/local/bin/hello"}) {
		t.Errorf("keks/hello: entrypoint %q", hello.Config.Entrypoint)
	}
	if _, ok := hello.Config.ExposedPorts["8080/tcp"]; !ok {
		t.Errorf("keks/hello: ports %v", hello.Config.ExposedPorts)
	}
}

// TestShellCurl: curl runs in keks/shell on the libraries the image holds.
func TestShellCurl(t *testing.T) {
	needRoot(t)
	root := t.TempDir()
	unpack(t, build(t, withBusybox(t, Shell)), root)
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "ok\n")
	}))
	defer web.Close()
	out, errOut, status := inBusybox(t, root, 0, 0, nil, "/usr/bin/curl", "-s", web.URL)
	if status != 0 || out != "ok\n" {
		t.Errorf("curl: status %d, %q, stderr %q", status, out, errOut)
	}
}
