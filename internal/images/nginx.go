package images

import (
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

const nginxBinary = "/usr/sbin/nginx"

// nginxConf and nginxDefaultSite are docker-library's nginx configuration:
// the nginx user, logs to the container's output, the welcome page on
// port 80.
const (
	nginxConf = `user  nginx;
worker_processes  auto;

error_log  /var/log/nginx/error.log notice;
pid        /run/nginx.pid;

events {
    worker_connections  1024;
}

http {
    include       /etc/nginx/mime.types;
    default_type  application/octet-stream;

    log_format  main  '$remote_addr - $remote_user [$time_local] "$request" '
                      '$status $body_bytes_sent "$http_referer" '
                      '"$http_user_agent" "$http_x_forwarded_for"';

    access_log  /var/log/nginx/access.log  main;

    sendfile        on;
    keepalive_timeout  65;

    include /etc/nginx/conf.d/*.conf;
}
`
	nginxDefaultSite = `server {
    listen       80;
    listen  [::]:80;
    server_name  localhost;

    location / {
        root   /usr/share/nginx/html;
        index  index.html index.htm;
    }

    error_page   500 502 503 504  /50x.html;
    location = /50x.html {
        root   /usr/share/nginx/html;
    }
}
`
	nginx50x = `<!DOCTYPE html>
<html>
<head>
<title>Error</title>
</head>
<body>
<h1>An error occurred.</h1>
<p>Sorry, the page you are looking for is currently unavailable.<br/>
Please try again later.</p>
</body>
</html>
`
)

// Nginx is docker.io's nginx (the e2e suite's e2e-test-images/nginx
// mirrors its Alpine variant) made of Debian's nginx on keks's busybox
// root: the same configuration, user nginx (101), logs linked to the
// container's stdout and stderr, STOPSIGNAL SIGQUIT and
// CMD ["nginx", "-g", "daemon off;"].
func Nginx(bb BusyboxBinary) (v1.Image, error) {
	l, _, _, err := bb.root()
	if err != nil {
		return nil, err
	}
	if err := l.addHostPrograms(map[string]string{nginxBinary: "usr/sbin/nginx"}); err != nil {
		return nil, err
	}
	for host, name := range map[string]string{"/etc/nginx/mime.types": "etc/nginx/mime.types", "/usr/share/nginx/html/index.html": "usr/share/nginx/html/index.html"} {
		if err := l.addHostFile(host, name, 0o644); err != nil {
			return nil, fmt.Errorf("%w (install nginx-light)", err)
		}
	}
	l.file("etc/nginx/nginx.conf", []byte(nginxConf), 0o644)
	l.file("etc/nginx/conf.d/default.conf", []byte(nginxDefaultSite), 0o644)
	l.file("usr/share/nginx/html/50x.html", []byte(nginx50x), 0o644)
	l.file("etc/passwd", []byte(busyboxPasswd+"nginx:x:101:101:nginx:/var/cache/nginx:/sbin/nologin\n"), 0o644)
	l.file("etc/group", []byte(busyboxGroup+"nginx:x:101:nginx\n"), 0o644)
	l.dir("var/cache/nginx", 0o755, 101, 0)
	l.dir("var/lib/nginx", 0o755, 101, 0)
	l.dir("var/log/nginx", 0o755, 0, 0)
	l.dir("run", 0o755, 0, 0)
	l.symlink("var/log/nginx/access.log", "/dev/stdout")
	l.symlink("var/log/nginx/error.log", "/dev/stderr")
	created, err := packagedTime(nginxBinary)
	if err != nil {
		return nil, err
	}
	return image(l, created, "nginx: Debian's build, laid out and configured as docker-library's", func(c *v1.Config) {
		c.Cmd = []string{"nginx", "-g", "daemon off;"}
		c.ExposedPorts = map[string]struct{}{"80/tcp": {}}
		c.StopSignal = "SIGQUIT"
	})
}
