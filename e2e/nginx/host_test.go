//go:build e2enginx

package nginx

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The host: one nginx process tree per configuration, on loopback ports of
// its own, in a directory of its own (configuration, logs, temp files).

var (
	repoRoot   string
	nginxBin   string // patched host (poll_oneoff implemented)
	nginxStock string // stock host
	wasmPath   string // build/audguard.wasm
	workDir    string // build/e2e-nginx: helper modules, certificates, wasmtime cache
	caPool     *x509.CertPool
	certFile   string
	keyFile    string
)

// module is a wasm module the nginx configuration loads.
type module struct{ name, path string }

// server is one nginx server block.
type server struct {
	names    []string // server_name; the first is the primary name
	module   string   // proxy_wasm module, "" for none
	config   string   // the filter's configuration (one nginx parameter)
	upstream string   // "echo", "mcp", "" (answered by nginx: 204)
	extra    string   // extra directives inside the server block
}

// conf is one nginx configuration.
type conf struct {
	workers   int
	noCache   bool // no wasmtime compilation cache (to measure compile time)
	logLevel  string
	modules   []module
	servers   []server
	wasmExtra string // extra directives in wasm {}
	httpExtra string // extra blocks in http {}
}

// nginx is a running host.
type nginx struct {
	t        testing.TB
	dir      string
	cmd      *exec.Cmd
	h1, tls  int // plain HTTP/1.1 and TLS (HTTP/1.1 and HTTP/2) ports
	errorLog string
	done     chan error
	logMark  int64 // error log offset where the current test's lines begin
}

// freePort asks the kernel for a free loopback port.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// allowlist is the header forwarding block of the documented nginx
// configuration (envoy/kong/nginx.conf, first proxying location): the lines
// from proxy_pass_request_headers off up to the proxy_pass. The suite runs
// exactly these lines, so the guide's list is what is tested.
func allowlist(t testing.TB) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "envoy", "kong", "nginx.conf"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	in := false
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "proxy_pass_request_headers off;"):
			in = true
		case !in:
			continue
		case strings.HasPrefix(line, "proxy_pass "):
			return append([]string{"proxy_pass_request_headers off;"}, out...)
		case strings.HasPrefix(line, "proxy_set_header "):
			if i := strings.Index(line, "#"); i >= 0 {
				line = strings.TrimSpace(line[:i])
			}
			out = append(out, line)
		}
	}
	t.Fatal("envoy/kong/nginx.conf: no location with proxy_pass_request_headers off ... proxy_pass")
	return nil
}

// render writes the nginx configuration of c.
func (n *nginx) render(c conf) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p("daemon off;\nmaster_process on;\nworker_processes %d;", max(c.workers, 1))
	if os.Geteuid() == 0 {
		p("user root root;")
	}
	p("pid %s/nginx.pid;\nerror_log %s %s;", n.dir, n.errorLog, c.logLevel)
	p("events { worker_connections 1024; }")
	p("wasm {")
	for _, m := range c.modules {
		p("    module %s %s;", m.name, m.path)
	}
	p("    shm_kv audguard 1m;")
	if !c.noCache {
		p("    wasmtime { cache_config %s; }", filepath.Join(workDir, "wasmtime-cache.toml"))
	}
	if c.wasmExtra != "" {
		p("    %s", c.wasmExtra)
	}
	p("}")
	p("http {")
	p("    access_log off;")
	for _, d := range []string{"client_body_temp_path", "proxy_temp_path", "fastcgi_temp_path", "uwsgi_temp_path", "scgi_temp_path"} {
		p("    %s %s/%s;", d, n.dir, strings.TrimSuffix(d, "_path"))
	}
	p("    merge_slashes on;\n    underscores_in_headers off;\n    ignore_invalid_headers on;")
	// As the guide says: bodies up to max_body_bytes stay in memory, where the filter can read them.
	p("    client_max_body_size 1m;\n    client_body_buffer_size 1m;")
	p("    upstream echo { server 127.0.0.1:%d; keepalive 8; }", echoPort)
	p("    upstream mcp { server 127.0.0.1:%d; keepalive 8; }", mcpPort)
	// Default server: names no server lists get 404 from nginx, before any filter.
	p("    server { listen 127.0.0.1:%d default_server; listen 127.0.0.1:%d ssl default_server;", n.h1, n.tls)
	p("        http2 on; ssl_certificate %s; ssl_certificate_key %s; return 404; }", certFile, keyFile)
	if c.httpExtra != "" {
		p("    %s", c.httpExtra)
	}
	lines := allowlist(n.t)
	for _, s := range c.servers {
		p("    server {")
		p("        listen 127.0.0.1:%d; listen 127.0.0.1:%d ssl; http2 on;", n.h1, n.tls)
		p("        ssl_certificate %s; ssl_certificate_key %s;", certFile, keyFile)
		p("        server_name %s;", strings.Join(s.names, " "))
		if s.extra != "" {
			p("        %s", s.extra)
		}
		p("        location / {")
		if s.module != "" {
			if s.config != "" {
				p("            proxy_wasm %s '%s';", s.module, s.config)
			} else {
				p("            proxy_wasm %s;", s.module)
			}
		}
		switch s.upstream {
		case "":
			p("            proxy_pass http://127.0.0.1:%d/empty/;", echoPort)
		default:
			for _, l := range lines {
				p("            %s", l)
			}
			p("            proxy_http_version 1.1;\n            proxy_buffering off;")
			p("            proxy_pass http://%s/;", s.upstream)
		}
		p("        }")
		p("    }")
	}
	p("}")
	return b.String()
}

// startNginx starts bin with c and waits until its workers answer (each
// compiles the modules before it accepts a connection). The host is stopped
// when the test ends; a worker that crashed fails the test.
func startNginx(t testing.TB, bin string, c conf) *nginx {
	t.Helper()
	n := &nginx{t: t, dir: t.TempDir(), h1: freePort(t), tls: freePort(t), done: make(chan error, 1)}
	n.errorLog = filepath.Join(n.dir, "error.log")
	if err := os.MkdirAll(filepath.Join(n.dir, "logs"), 0o755); err != nil { // nginx -t opens the default log first
		t.Fatal(err)
	}
	if c.logLevel == "" {
		c.logLevel = "info"
	}
	if len(c.modules) == 0 {
		c.modules = []module{{"audguard", wasmPath}}
	}
	cfg := n.render(c)
	path := filepath.Join(n.dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "-t", "-p", n.dir, "-c", path).CombinedOutput(); err != nil {
		t.Fatalf("nginx -t: %v\n%s\n--- nginx.conf\n%s", err, out, cfg)
	}
	n.cmd = exec.Command(bin, "-p", n.dir, "-c", path)
	n.cmd.Stdout, n.cmd.Stderr = os.Stderr, os.Stderr
	n.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { n.done <- n.cmd.Wait() }()
	t.Cleanup(n.stop)
	if err := n.waitReady(90 * time.Second); err != nil {
		t.Fatalf("nginx not ready: %v\n%s", err, n.tail(30))
	}
	return n
}

// waitReady polls the default server until it answers: the workers have
// compiled the modules and started every filter.
func (n *nginx) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	c := &http.Client{Timeout: 2 * time.Second}
	for time.Now().Before(deadline) {
		select {
		case err := <-n.done:
			return fmt.Errorf("nginx exited: %v", err)
		default:
		}
		resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/ready", n.h1))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusNotFound {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("no answer in time")
}

// stop ends nginx (SIGQUIT: graceful) and fails the test if a worker
// crashed or a filter trapped while it ran.
func (n *nginx) stop() {
	if n.cmd == nil || n.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-n.cmd.Process.Pid, syscall.SIGQUIT)
	select {
	case <-n.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-n.cmd.Process.Pid, syscall.SIGKILL)
		<-n.done
	}
	n.cmd = nil
}

// crashes are error-log lines that mean a worker died or a VM trapped.
var crashes = regexp.MustCompile(`exited on signal|\[crit\].*poll_oneoff|panic: |fatal error:|wasm trap|\[emerg\]|could not increment metric|\[alert\]`)

// checkHealthy fails the test on a crash or trap line logged since mark.
func (n *nginx) checkHealthy(t testing.TB) {
	t.Helper()
	var bad []string
	for _, l := range n.linesSince(0) {
		if crashes.MatchString(l) && !strings.Contains(l, "audguard: the host's WASI poll_oneoff failed") {
			bad = append(bad, l)
		}
	}
	if len(bad) > 0 {
		t.Errorf("%d crash or trap lines in the error log; the first ones:\n%s", len(bad), strings.Join(bad[:min(len(bad), 10)], "\n"))
	}
}

// linesSince returns the error log's lines after byte offset off.
func (n *nginx) linesSince(off int64) []string {
	b, err := os.ReadFile(n.errorLog)
	if err != nil || int64(len(b)) < off {
		return nil
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b[off:]))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// mark remembers the error log's size: grep looks only at later lines.
func (n *nginx) mark() {
	if st, err := os.Stat(n.errorLog); err == nil {
		n.logMark = st.Size()
	}
}

// grep returns the error-log lines since the mark that contain s.
func (n *nginx) grep(s string) []string {
	var out []string
	for _, l := range n.linesSince(n.logMark) {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return out
}

func (n *nginx) tail(k int) string {
	l := n.linesSince(0)
	if len(l) > k {
		l = l[len(l)-k:]
	}
	return strings.Join(l, "\n")
}

// workers returns the pids of the master's children.
func (n *nginx) workers() []int {
	master := n.cmd.Process.Pid
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) > 1 && f[1] == strconv.Itoa(master) {
			out = append(out, pid)
		}
	}
	return out
}

// cpuNanos is the CPU time pid has used (schedstat: ns on a CPU; else
// utime+stime from stat at clock ticks).
func cpuNanos(pid int) int64 {
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/schedstat", pid)); err == nil {
		if f := strings.Fields(string(b)); len(f) > 0 {
			if v, err := strconv.ParseInt(f[0], 10, 64); err == nil {
				return v
			}
		}
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return (u + st) * int64(time.Second/100)
}

// transport is how a client reaches nginx.
type transport string

const (
	h1    transport = "http1"     // plain HTTP/1.1
	h1TLS transport = "http1+tls" // HTTP/1.1 over TLS
	h2TLS transport = "http2+tls" // HTTP/2 over TLS (ALPN h2)
)

var transports = []transport{h1, h1TLS, h2TLS}

// client reaches nginx over tr for every host name except those in other
// (name → loopback port), which it dials directly (the authorization server).
func (n *nginx) client(tr transport, other map[string]int) *http.Client {
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, _ := net.SplitHostPort(addr)
		port := n.h1
		if tr != h1 {
			port = n.tls
		}
		if p, ok := other[host]; ok {
			port = p
		}
		var d net.Dialer
		return d.DialContext(ctx, network, "127.0.0.1:"+strconv.Itoa(port))
	}
	t := &http.Transport{DialContext: dial, TLSClientConfig: &tls.Config{RootCAs: caPool},
		MaxIdleConnsPerHost: 4, ForceAttemptHTTP2: tr == h2TLS}
	if tr == h1TLS {
		t.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}
	return &http.Client{Transport: t, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// scheme is the URL scheme for tr.
func (tr transport) scheme() string {
	if tr == h1 {
		return "http"
	}
	return "https"
}

// writeCerts makes a test CA and one certificate for *.example.com and
// 127.0.0.1 (TEST-ONLY, made anew each run).
func writeCerts(dir string) error {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	now := time.Now()
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "audguard e2e test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	caCert, _ := x509.ParseCertificate(caDER)
	// The CA for clients in other processes (SSL_CERT_FILE).
	if err := os.WriteFile(filepath.Join(dir, "ca.crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o644); err != nil {
		return err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "*.example.com"},
		DNSNames: []string{"*.example.com", "example.com", "localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		return err
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		return err
	}
	caPool = x509.NewCertPool()
	caPool.AddCert(caCert)
	return nil
}
