package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/goodgo/xactivity/crc"
)

const testSecret = "check-url consumer secret"

// runCheckURL runs check-url --json with e and returns the parsed report.
func runCheckURL(t *testing.T, e env, args ...string) (checkReport, cliResult) {
	t.Helper()
	r := runEnv(t, e, append([]string{"check-url", "--json"}, args...)...)
	var report checkReport
	decodeJSON(t, r.stdout, &report)
	return report, r
}

// checks returns the check names of the findings, in order.
func checks(r checkReport) []string {
	names := []string{}
	for _, f := range r.Findings {
		names = append(names, f.Check)
	}
	return names
}

// findingOf returns the finding of the given check, or fails the test.
func findingOf(t *testing.T, r checkReport, check string) finding {
	t.Helper()
	for _, f := range r.Findings {
		if f.Check == check {
			return f
		}
	}
	t.Fatalf("no %s finding; findings: %q", check, checks(r))
	return finding{}
}

// tlsEnv returns an env whose transport trusts srv's certificate and sends
// every connection to srv, so that https://example.com/... reaches it. The
// test certificate of httptest is valid for example.com.
func tlsEnv(srv *httptest.Server, vars map[string]string) env {
	transport := srv.Client().Transport.(*http.Transport).Clone()
	addr := srv.Listener.Addr().String()
	transport.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	return env{getenv: func(k string) string { return vars[k] }, transport: transport}
}

func signCRC(secret, token string) []byte {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(token))
	return mac.Sum(nil)
}

// respondWith returns a CRC handler that validates the token as crc.Token
// does and responds with the body and content type that respond builds
// from the token's HMAC under testSecret.
func respondWith(contentType string, respond func(digest []byte) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := crc.Token(r)
		if !ok {
			http.Error(w, "bad token", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", contentType)
		fmt.Fprint(w, respond(signCRC(testSecret, token)))
	})
}

func TestCheckURLHealthy(t *testing.T) {
	srv := httptest.NewTLSServer(&crc.Handler{ConsumerSecret: testSecret})
	defer srv.Close()
	e := tlsEnv(srv, map[string]string{"TWITTER__API_KEY_SECRET": testSecret})

	report, r := runCheckURL(t, e, "https://example.com/webhooks/twitter")
	if r.err != nil {
		t.Fatalf("check-url failed: %v", r.err)
	}
	if len(report.Findings) != 0 {
		t.Errorf("findings = %+v, want none", report.Findings)
	}
	if !report.OK || report.StatusCode != http.StatusOK || report.LatencyMS == nil {
		t.Errorf("report = %+v, want ok, 200 and a latency", report)
	}
	if report.OracleStatusCode != http.StatusBadRequest {
		t.Errorf("status for a JSON token = %d, want 400", report.OracleStatusCode)
	}
	if report.TimeLimitMS != 10000 {
		t.Errorf("time limit = %v ms, want X's v2 limit of 10000 ms", report.TimeLimitMS)
	}
	if !report.CRCResponseOK {
		t.Error("crcResponseOk is false for a correct endpoint")
	}

	text := runEnv(t, e, "check-url", "https://example.com/webhooks/twitter")
	if text.err != nil || !strings.Contains(text.stdout, "No failures") {
		t.Errorf("text output (error %v):\n%s", text.err, text.stdout)
	}
	assertNoSecrets(t, text, testSecret)
}

func TestCheckURLV11TimeLimit(t *testing.T) {
	srv := httptest.NewTLSServer(&crc.Handler{ConsumerSecret: testSecret})
	defer srv.Close()
	e := tlsEnv(srv, map[string]string{"TWITTER__API_KEY_SECRET": testSecret, "TWITTER__API_VERSION": "1.1-enterprise"})
	report, _ := runCheckURL(t, e, "https://example.com/webhooks/twitter")
	if report.TimeLimitMS != 3000 {
		t.Errorf("time limit = %v ms, want X's v1.1 limit of 3000 ms", report.TimeLimitMS)
	}
}

func TestCheckURLInsecureURLStillChecked(t *testing.T) {
	srv := httptest.NewServer(&crc.Handler{ConsumerSecret: testSecret})
	defer srv.Close()

	report, r := runCheckURL(t, env{}, "--secret", testSecret, srv.URL+"/hook")
	if r.err == nil {
		t.Error("check-url of an http URL exited successfully")
	}
	if got := strings.Join(checks(report), ","); got != "url-rejected" {
		t.Fatalf("findings = %s, want only url-rejected", got)
	}
	if msg := report.Findings[0].Message; !strings.Contains(msg, "https") {
		t.Errorf("message %q does not name the https rule", msg)
	}
	if report.StatusCode != http.StatusOK {
		t.Errorf("the round trip did not run over http: status %d", report.StatusCode)
	}
	if !report.CRCResponseOK {
		t.Error("crcResponseOk is false, but the endpoint's CRC response is correct")
	}

	text := runEnv(t, env{}, "check-url", "--secret", testSecret, srv.URL+"/hook")
	if text.err == nil {
		t.Error("check-url of an http URL exited successfully without --json")
	}
	want := "The endpoint's CRC response is correct; X will still reject this URL because webhook URL"
	if !strings.Contains(text.stdout, want) || !strings.Contains(text.stdout, "must use https.") {
		t.Errorf("text output lacks %q ... must use https.:\n%s", want, text.stdout)
	}
	if strings.Contains(text.stdout, "would fail") {
		t.Errorf("text output says the CRC check would fail:\n%s", text.stdout)
	}
	if text.err != nil && !strings.Contains(text.err.Error(), "CRC response is correct, but X rejects this URL") {
		t.Errorf("error = %v, want it to say the CRC response is correct and X rejects the URL", text.err)
	}
}

func TestCheckURLInsecureURLWithCRCFailure(t *testing.T) {
	srv := httptest.NewServer(&crc.Handler{ConsumerSecret: "another app's secret"})
	defer srv.Close()

	report, _ := runCheckURL(t, env{}, "--secret", testSecret, srv.URL+"/hook")
	if got := strings.Join(checks(report), ","); got != "url-rejected,wrong-secret" {
		t.Fatalf("findings = %s, want url-rejected,wrong-secret", got)
	}
	if report.CRCResponseOK {
		t.Error("crcResponseOk is true for a response signed with another key")
	}
	text := runEnv(t, env{}, "check-url", "--secret", testSecret, srv.URL+"/hook")
	if !strings.Contains(text.stdout, "2 failures: X's CRC check of this URL would fail.") {
		t.Errorf("text output lacks the failure count:\n%s", text.stdout)
	}
	if strings.Contains(text.stdout, "CRC response is correct") {
		t.Errorf("text output calls a wrong response correct:\n%s", text.stdout)
	}
}

func TestCheckURLLongURL(t *testing.T) {
	srv := httptest.NewTLSServer(&crc.Handler{ConsumerSecret: testSecret})
	defer srv.Close()
	long := "https://example.com/" + strings.Repeat("a", 200)
	report, _ := runCheckURL(t, tlsEnv(srv, nil), "--secret", testSecret, long)
	if got := strings.Join(checks(report), ","); got != "url-rejected" {
		t.Fatalf("findings = %s, want only url-rejected", got)
	}
	if msg := report.Findings[0].Message; !strings.Contains(msg, "200") {
		t.Errorf("message %q does not name the 200-byte limit", msg)
	}
}

// TestCheckURLResponseMistakes serves each misconfiguration over TLS at
// https://example.com, so that its finding is the only one.
func TestCheckURLResponseMistakes(t *testing.T) {
	wrongPath := http.NewServeMux()
	wrongPath.Handle("GET /api/v1/mkt-x/webhooks/twitter", &crc.Handler{ConsumerSecret: testSecret})
	tests := []struct {
		name    string
		handler http.Handler
		vars    map[string]string
		check   string
		message string // a part of the finding's message
	}{
		{"not found", wrongPath, nil, "wrong-path", "404"},
		{"method not allowed", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
		}), nil, "wrong-path", "405"},
		{"server error", &crc.Handler{}, nil, "http-status", "500"},
		{"unauthorized", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "login", http.StatusUnauthorized)
		}), nil, "http-status", "401"},
		{"redirect", http.RedirectHandler("/webhooks/twitter/", http.StatusMovedPermanently),
			nil, "redirect", "https://example.com/webhooks/twitter/"},
		{"wrong secret", &crc.Handler{ConsumerSecret: "another app's secret"}, nil, "wrong-secret", "another key"},
		{"bearer token as secret", &crc.Handler{ConsumerSecret: "bearer-token-value"},
			map[string]string{"TWITTER__BEARER_TOKEN": "bearer-token-value"}, "wrong-secret", "TWITTER__BEARER_TOKEN"},
		{"token secret as secret", &crc.Handler{ConsumerSecret: "token-secret-value"},
			map[string]string{"TWITTER__ACCESS_TOKEN_SECRET": "token-secret-value"}, "wrong-secret", "TWITTER__ACCESS_TOKEN_SECRET"},
		{"previous secret", &crc.Handler{ConsumerSecret: "previous-secret"},
			map[string]string{"TWITTER__PREVIOUS_API_KEY_SECRET": "previous-secret"}, "wrong-secret", "TWITTER__PREVIOUS_API_KEY_SECRET"},
		{"missing prefix", respondWith("application/json", func(d []byte) string {
			return `{"response_token":"` + base64.StdEncoding.EncodeToString(d) + `"}`
		}), nil, "missing-prefix", "without"},
		{"hex digest", respondWith("application/json", func(d []byte) string {
			return `{"response_token":"sha256=` + hex.EncodeToString(d) + `"}`
		}), nil, "hex-digest", "hexadecimal"},
		{"bare hex digest", respondWith("application/json", func(d []byte) string {
			return `{"response_token":"` + hex.EncodeToString(d) + `"}`
		}), nil, "hex-digest", "prefix is missing"},
		{"unpadded base64", respondWith("application/json", func(d []byte) string {
			return `{"response_token":"sha256=` + base64.RawStdEncoding.EncodeToString(d) + `"}`
		}), nil, "wrong-encoding", "unpadded"},
		{"wrong member name", respondWith("application/json", func(d []byte) string {
			return `{"responseToken":"sha256=` + base64.StdEncoding.EncodeToString(d) + `"}`
		}), nil, "no-response-token", `"responseToken"`},
		{"number token", respondWith("application/json", func([]byte) string {
			return `{"response_token":42}`
		}), nil, "no-response-token", "not a JSON string"},
		{"HTML body", respondWith("application/json", func([]byte) string {
			return "<html><body>Welcome</body></html>"
		}), nil, "not-json", "HTML"},
		{"plain text content type", respondWith("text/plain; charset=utf-8", func(d []byte) string {
			return `{"response_token":"sha256=` + base64.StdEncoding.EncodeToString(d) + `"}`
		}), nil, "content-type", "text/plain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewTLSServer(tt.handler)
			defer srv.Close()
			vars := map[string]string{"TWITTER__API_KEY_SECRET": testSecret}
			for k, v := range tt.vars {
				vars[k] = v
			}
			report, r := runCheckURL(t, tlsEnv(srv, vars), "https://example.com/webhooks/twitter")
			if r.err == nil {
				t.Error("check-url exited successfully")
			}
			if report.OK {
				t.Error("report is ok")
			}
			if got := strings.Join(checks(report), ","); got != tt.check {
				t.Fatalf("findings = %s, want only %s", got, tt.check)
			}
			f := report.Findings[0]
			if !strings.Contains(f.Message, tt.message) {
				t.Errorf("message %q does not contain %q", f.Message, tt.message)
			}
			if f.Severity != severityFailure || f.Fix == "" {
				t.Errorf("finding %+v, want a failure with a fix", f)
			}
			secrets := []string{testSecret}
			for _, v := range tt.vars {
				secrets = append(secrets, v)
			}
			assertNoSecrets(t, r, secrets...)
		})
	}
}

func TestCheckURLBareTokenBody(t *testing.T) {
	srv := httptest.NewTLSServer(respondWith("text/plain", func(d []byte) string {
		return "sha256=" + base64.StdEncoding.EncodeToString(d)
	}))
	defer srv.Close()
	report, _ := runCheckURL(t, tlsEnv(srv, nil), "--secret", testSecret, "https://example.com/hook")
	if got := strings.Join(checks(report), ","); got != "content-type,not-json" {
		t.Fatalf("findings = %s, want content-type,not-json", got)
	}
	if msg := findingOf(t, report, "not-json").Message; !strings.Contains(msg, "token alone") {
		t.Errorf("message %q does not say the body is the token alone", msg)
	}
}

func TestCheckURLSigningOracle(t *testing.T) {
	signsAnything := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		crc.WriteResponse(w, testSecret, r.URL.Query().Get("crc_token"))
	})
	srv := httptest.NewTLSServer(signsAnything)
	defer srv.Close()

	report, r := runCheckURL(t, tlsEnv(srv, nil), "--secret", testSecret, "https://example.com/hook")
	if r.err == nil {
		t.Error("check-url of a signing oracle exited successfully")
	}
	if got := strings.Join(checks(report), ","); got != "signing-oracle" {
		t.Fatalf("findings = %s, want only signing-oracle", got)
	}
	f := report.Findings[0]
	if !strings.HasPrefix(f.Message, "security:") || f.Severity != severityFailure {
		t.Errorf("finding %+v, want a security failure", f)
	}
	if !strings.Contains(f.Message, "with the consumer secret") {
		t.Errorf("message %q does not say the signature is valid", f.Message)
	}
	if report.OracleStatusCode != http.StatusOK {
		t.Errorf("oracle status = %d, want 200", report.OracleStatusCode)
	}
}

// TestCheckURLTimeout serves a handler that responds only after the
// client gave up, when its request's context ends with the closed
// connection. net/http can still hand such a response to the client, which
// must count it as none.
func TestCheckURLTimeout(t *testing.T) {
	released := make(chan struct{})
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-released:
		}
	}))
	defer srv.Close()
	defer close(released) // runs before srv.Close

	start := time.Now()
	report, r := runCheckURL(t, tlsEnv(srv, nil), "--secret", testSecret, "--timeout", "200ms", "https://example.com/hook")
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("check-url took %s with --timeout 200ms", elapsed)
	}
	if r.err == nil {
		t.Error("check-url of an endpoint that does not respond exited successfully")
	}
	if got := strings.Join(checks(report), ","); got != "timeout" {
		t.Fatalf("findings = %s, want only timeout", got)
	}
	msg := report.Findings[0].Message
	if !strings.Contains(msg, "the --timeout limit of 200ms") {
		t.Errorf("message %q does not name the --timeout limit", msg)
	}
	if !strings.Contains(msg, "X's own limit is 10s on v2 and 3s on v1.1") {
		t.Errorf("message %q does not give X's limits", msg)
	}
	if report.LatencyMS != nil {
		t.Errorf("latency = %v ms for a request without response", *report.LatencyMS)
	}
	if report.CRCResponseOK {
		t.Error("crcResponseOk is true without a response")
	}
}

// lateTransport serves requests with handler, but returns the response, or
// with lateBody the end of its body, only after the request's deadline
// passed: the order in which net/http delivers a response that races the
// cancellation of its request.
type lateTransport struct {
	handler  http.Handler
	lateBody bool
}

func (lt lateTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	lt.handler.ServeHTTP(rec, req)
	resp := rec.Result()
	if !lt.lateBody {
		<-req.Context().Done()
		return resp, nil
	}
	resp.Body = io.NopCloser(io.MultiReader(&waitReader{done: req.Context().Done()}, resp.Body))
	return resp, nil
}

// waitReader returns io.EOF, and no data, once done is closed.
type waitReader struct{ done <-chan struct{} }

func (w *waitReader) Read([]byte) (int, error) {
	<-w.done
	return 0, io.EOF
}

func TestCheckURLLateResponseIsTimeout(t *testing.T) {
	for _, lateBody := range []bool{false, true} {
		t.Run(fmt.Sprintf("late body %t", lateBody), func(t *testing.T) {
			transport := lateTransport{handler: &crc.Handler{ConsumerSecret: testSecret}, lateBody: lateBody}
			report, r := runCheckURL(t, env{transport: transport}, "--secret", testSecret, "--timeout", "50ms", "https://example.com/hook")
			if r.err == nil {
				t.Error("check-url of a late response exited successfully")
			}
			if got := strings.Join(checks(report), ","); got != "timeout" {
				t.Fatalf("findings = %s, want only timeout", got)
			}
			if report.LatencyMS != nil || report.StatusCode != 0 {
				t.Errorf("latency %v and status %d for a late response, want neither", report.LatencyMS, report.StatusCode)
			}
		})
	}
}

func TestDiagnoseLatency(t *testing.T) {
	tests := []struct {
		latency time.Duration
		limit   timeLimit
		message string // "" for no finding
	}{
		{612 * time.Microsecond, timeLimit{d: time.Millisecond, fromFlag: true}, "the response took 612µs, more than half of the --timeout limit of 1ms"},
		{412 * time.Microsecond, timeLimit{d: time.Millisecond, fromFlag: true}, ""},
		{500 * time.Microsecond, timeLimit{d: time.Millisecond, fromFlag: true}, ""},
		{501 * time.Microsecond, timeLimit{d: time.Millisecond, fromFlag: true}, "the response took 501µs, more than half of the --timeout limit of 1ms"},
		{1500 * time.Microsecond, timeLimit{d: 2 * time.Millisecond, fromFlag: true}, "the response took 1.5ms, more than half of the --timeout limit of 2ms"},
		{6 * time.Second, timeLimit{d: crcTimeLimitV2}, "the response took 6s, more than half of X's 10s limit"},
		{4 * time.Second, timeLimit{d: crcTimeLimitV2}, ""},
	}
	for _, tt := range tests {
		f, ok := diagnoseLatency(tt.latency, tt.limit)
		if tt.message == "" {
			if ok {
				t.Errorf("diagnoseLatency(%v, %v) = %q, want no finding", tt.latency, tt.limit, f.Message)
			}
			continue
		}
		if !ok || f.Message != tt.message || f.Severity != severityWarning {
			t.Errorf("diagnoseLatency(%v, %v) = %q (%s, %t), want the warning %q", tt.latency, tt.limit, f.Message, f.Severity, ok, tt.message)
		}
	}
}

// TestCheckURLTextLatency checks that the response line shows a latency
// below one millisecond in microseconds, with the limit it is held to.
func TestCheckURLTextLatency(t *testing.T) {
	ms := milliseconds(412 * time.Microsecond)
	report := &checkReport{
		URL: "https://example.com/hook", OK: true, StatusCode: http.StatusOK, ContentType: "application/json",
		LatencyMS: &ms, latency: 412 * time.Microsecond, limit: timeLimit{d: time.Millisecond, fromFlag: true},
	}
	var text strings.Builder
	printCheckReport(&text, report)
	if want := "412µs (the --timeout limit of 1ms)"; !strings.Contains(text.String(), want) {
		t.Errorf("text output lacks %q:\n%s", want, text.String())
	}
	if ms != 0.412 {
		t.Errorf("latencyMs = %v, want 0.412", ms)
	}

	srv := httptest.NewTLSServer(&crc.Handler{ConsumerSecret: testSecret})
	defer srv.Close()
	e := tlsEnv(srv, nil)
	defaultLimit := runEnv(t, e, "check-url", "--secret", testSecret, "https://example.com/hook")
	if !strings.Contains(defaultLimit.stdout, "(X's 10s limit)") {
		t.Errorf("text output without --timeout does not name X's limit:\n%s", defaultLimit.stdout)
	}
	flagLimit := runEnv(t, e, "check-url", "--secret", testSecret, "--timeout", "10s", "https://example.com/hook")
	if !strings.Contains(flagLimit.stdout, "(the --timeout limit of 10s)") {
		t.Errorf("text output with --timeout does not name the --timeout limit:\n%s", flagLimit.stdout)
	}
}

func TestCheckURLSecretFlagDiffersFromEnvironment(t *testing.T) {
	srv := httptest.NewTLSServer(&crc.Handler{ConsumerSecret: testSecret})
	defer srv.Close()
	e := tlsEnv(srv, map[string]string{"TWITTER__API_KEY_SECRET": testSecret})

	report, r := runCheckURL(t, e, "--secret", "a wrong secret", "https://example.com/hook")
	if got := strings.Join(checks(report), ","); got != "wrong-secret" {
		t.Fatalf("findings = %s, want only wrong-secret", got)
	}
	f := report.Findings[0]
	if want := "signed with TWITTER__API_KEY_SECRET, not with the --secret value; one of them is wrong"; !strings.Contains(f.Message, want) {
		t.Errorf("message %q does not contain %q", f.Message, want)
	}
	if strings.Contains(f.Message, "instead of the consumer secret") {
		t.Errorf("message %q calls TWITTER__API_KEY_SECRET something other than the consumer secret", f.Message)
	}
	if !strings.Contains(f.Fix, "--secret") {
		t.Errorf("fix %q does not mention --secret", f.Fix)
	}
	assertNoSecrets(t, r, testSecret, "a wrong secret")
}

func TestCheckURLSlowWarning(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := crc.Token(r); ok {
			time.Sleep(700 * time.Millisecond)
		}
		(&crc.Handler{ConsumerSecret: testSecret}).ServeHTTP(w, r)
	}))
	defer srv.Close()

	report, r := runCheckURL(t, tlsEnv(srv, nil), "--secret", testSecret, "--timeout", "1s", "https://example.com/hook")
	if r.err != nil {
		t.Errorf("a warning made check-url fail: %v", r.err)
	}
	if got := strings.Join(checks(report), ","); got != "slow" {
		t.Fatalf("findings = %s, want only slow", got)
	}
	if f := report.Findings[0]; f.Severity != severityWarning || !report.OK {
		t.Errorf("finding %+v in a report with ok %t, want a warning in an ok report", f, report.OK)
	}
	if msg := report.Findings[0].Message; !strings.Contains(msg, "more than half of the --timeout limit of 1s") {
		t.Errorf("message %q does not name the --timeout limit", msg)
	}
}

func TestCheckURLTLSFailure(t *testing.T) {
	srv := httptest.NewUnstartedServer(&crc.Handler{ConsumerSecret: testSecret})
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the failed handshake is expected
	srv.StartTLS()
	defer srv.Close()

	// The default transport does not trust the test certificate.
	report, _ := runCheckURL(t, env{}, "--secret", testSecret, srv.URL+"/hook")
	if got := strings.Join(checks(report), ","); got != "url-rejected,tls" {
		t.Fatalf("findings = %s, want url-rejected,tls", got)
	}
	if msg := findingOf(t, report, "tls").Message; !strings.Contains(msg, "not signed by an authority") {
		t.Errorf("message %q does not name the unknown authority", msg)
	}
}

func TestCheckURLPlainHTTPOnHTTPS(t *testing.T) {
	srv := httptest.NewServer(&crc.Handler{ConsumerSecret: testSecret})
	defer srv.Close()
	u, _ := url.Parse(srv.URL)

	report, _ := runCheckURL(t, env{}, "--secret", testSecret, "https://"+u.Host+"/hook")
	if msg := findingOf(t, report, "tls").Message; !strings.Contains(msg, "plain HTTP") {
		t.Errorf("message %q does not name plain HTTP", msg)
	}
}

func TestCheckURLConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	report, r := runCheckURL(t, env{}, "--secret", testSecret, "http://"+addr+"/hook")
	if r.err == nil {
		t.Error("check-url exited successfully")
	}
	if got := strings.Join(checks(report), ","); got != "url-rejected,connection-refused" {
		t.Fatalf("findings = %s, want url-rejected,connection-refused", got)
	}
	if msg := findingOf(t, report, "connection-refused").Message; !strings.Contains(msg, addr) {
		t.Errorf("message %q does not name %s", msg, addr)
	}
}

// TestCheckURLUnreachable classifies the errors of dials that fail as a
// missing DNS name or an unreachable host do; the test makes no real dial.
func TestCheckURLUnreachable(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		message string
	}{
		{"unknown name", &net.DNSError{Err: "no such host", Name: "webhooks.example.com", IsNotFound: true}, "webhooks.example.com was not found"},
		{"no route", os.NewSyscallError("connect", syscall.EHOSTUNREACH), "unreachable"},
		{"network unreachable", os.NewSyscallError("connect", syscall.ENETUNREACH), "unreachable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			transport := &http.Transport{DialContext: func(context.Context, string, string) (net.Conn, error) {
				return nil, &net.OpError{Op: "dial", Net: "tcp", Err: tt.err}
			}}
			report, _ := runCheckURL(t, env{transport: transport}, "--secret", testSecret, "https://webhooks.example.com/hook")
			if got := strings.Join(checks(report), ","); got != "host-unreachable" {
				t.Fatalf("findings = %s, want only host-unreachable", got)
			}
			if msg := report.Findings[0].Message; !strings.Contains(msg, tt.message) {
				t.Errorf("message %q does not contain %q", msg, tt.message)
			}
		})
	}
}

func TestCheckURLTextOutput(t *testing.T) {
	srv := httptest.NewTLSServer(&crc.Handler{ConsumerSecret: "bearer-token-value"})
	defer srv.Close()
	vars := map[string]string{"TWITTER__API_KEY_SECRET": testSecret, "TWITTER__BEARER_TOKEN": "bearer-token-value"}

	r := runEnv(t, tlsEnv(srv, vars), "check-url", "https://example.com/hook")
	if r.err == nil || !strings.Contains(r.err.Error(), "1 failure found") {
		t.Errorf("error = %v, want one failure", r.err)
	}
	for _, want := range []string{"CRC check of https://example.com/hook", "FAILURE wrong-secret", "TWITTER__BEARER_TOKEN", "fix: ", "1 failure:"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("text output lacks %q:\n%s", want, r.stdout)
		}
	}
	assertNoSecrets(t, r, testSecret, "bearer-token-value")
}

func TestCheckURLRedactsPassword(t *testing.T) {
	srv := httptest.NewTLSServer(&crc.Handler{ConsumerSecret: testSecret})
	defer srv.Close()
	report, r := runCheckURL(t, tlsEnv(srv, nil), "--secret", testSecret, "https://user:hunter2@example.com/hook")
	if got := strings.Join(checks(report), ","); got != "url-rejected" {
		t.Fatalf("findings = %s, want only url-rejected", got)
	}
	assertNoSecrets(t, r, "hunter2")
}

func TestCheckURLUsageErrors(t *testing.T) {
	tests := map[string][]string{
		"no URL":           {"check-url", "--secret", "s"},
		"two URLs":         {"check-url", "--secret", "s", "https://a.example", "https://b.example"},
		"relative URL":     {"check-url", "--secret", "s", "/webhooks/twitter"},
		"ftp URL":          {"check-url", "--secret", "s", "ftp://example.com/x"},
		"no secret":        {"check-url", "https://example.com/x"},
		"negative timeout": {"check-url", "--secret", "s", "--timeout", "-1s", "https://example.com/x"},
	}
	for name, args := range tests {
		t.Run(name, func(t *testing.T) {
			r := runEnv(t, env{}, append(args, "--json")...)
			if r.err == nil {
				t.Fatal("check-url succeeded")
			}
			var doc jsonError
			decodeJSON(t, r.stdout, &doc)
			if doc.Error.Message == "" {
				t.Error("JSON error has no message")
			}
		})
	}
}

// TestCheckURLReportFields pins the JSON field names that programs read.
func TestCheckURLReportFields(t *testing.T) {
	srv := httptest.NewTLSServer(&crc.Handler{ConsumerSecret: "other"})
	defer srv.Close()
	r := runEnv(t, tlsEnv(srv, nil), "check-url", "--json", "--secret", testSecret, "https://example.com/hook")
	var fields map[string]json.RawMessage
	if err := json.Unmarshal([]byte(r.stdout), &fields); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"url", "ok", "statusCode", "contentType", "latencyMs", "timeLimitMs", "oracleStatusCode", "findings"} {
		if _, ok := fields[name]; !ok {
			t.Errorf("report lacks %q: %s", name, r.stdout)
		}
	}
	var findings []map[string]string
	if err := json.Unmarshal(fields["findings"], &findings); err != nil || len(findings) != 1 {
		t.Fatalf("findings = %s, %v", fields["findings"], err)
	}
	for _, name := range []string{"check", "severity", "message", "fix"} {
		if findings[0][name] == "" {
			t.Errorf("finding lacks %q: %v", name, findings[0])
		}
	}
}

func TestCheckURLSigningOracleOtherKey(t *testing.T) {
	signsAnything := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		crc.WriteResponse(w, "another app's secret", r.URL.Query().Get("crc_token"))
	})
	srv := httptest.NewTLSServer(signsAnything)
	defer srv.Close()

	report, _ := runCheckURL(t, tlsEnv(srv, nil), "--secret", testSecret, "https://example.com/hook")
	if got := strings.Join(checks(report), ","); got != "wrong-secret,signing-oracle" {
		t.Fatalf("findings = %s, want wrong-secret,signing-oracle", got)
	}
}
