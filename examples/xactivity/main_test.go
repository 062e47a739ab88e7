package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dghubble/oauth1"

	"github.com/goodgo/xactivity/crc"
	"github.com/goodgo/xactivity/internal/fixtures"
	"github.com/goodgo/xactivity/webhook"
)

// runCLI runs the command with args and returns its output and error.
func runCLI(t *testing.T, env map[string]string, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	getenv := func(k string) string { return env[k] }
	err := run(context.Background(), args, getenv, strings.NewReader(""), &stdout, &stderr)
	return stdout.String(), err
}

func TestCRCCommandVectors(t *testing.T) {
	for _, v := range fixtures.LoadVectors(t).CRC {
		t.Run(v.CRCToken, func(t *testing.T) {
			out, err := runCLI(t, nil, "crc", v.CRCToken, "--secret", v.ConsumerSecret)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimSpace(out); got != v.ResponseToken {
				t.Errorf("output = %q, want %q", got, v.ResponseToken)
			}
		})
	}
}

func TestCRCCommandSecretFromEnvironment(t *testing.T) {
	v := fixtures.LoadVectors(t).CRC[1]
	out, err := runCLI(t, map[string]string{"TWITTER__API_KEY_SECRET": v.ConsumerSecret}, "crc", v.CRCToken)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(out); got != v.ResponseToken {
		t.Errorf("output = %q, want %q", got, v.ResponseToken)
	}
}

func TestCRCCommandRejects(t *testing.T) {
	tests := map[string][]string{
		"json token":  {"crc", "--secret", "s", `{"a":1}`},
		"no token":    {"crc", "--secret", "s"},
		"two tokens":  {"crc", "--secret", "s", "a", "b"},
		"no secret":   {"crc", "test"},
		"bad flag":    {"crc", "--nope", "test"},
		"unknown cmd": {"nope"},
	}
	for name, args := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := runCLI(t, nil, args...); err == nil {
				t.Errorf("%v succeeded, want an error", args)
			}
		})
	}
}

func TestSignCommandEveryDelivery(t *testing.T) {
	secret := fixtures.LoadVectors(t).DeliveriesSecret
	for _, d := range fixtures.LoadDeliveries(t) {
		t.Run(d.Name, func(t *testing.T) {
			path := filepath.Join(fixtures.Dir(), "deliveries", d.Name)
			out, err := runCLI(t, nil, "sign", "--secret", secret, path)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimSpace(out); got != d.Signature {
				t.Errorf("output = %q, want %q", got, d.Signature)
			}
		})
	}
}

func TestSignCommandStandardInput(t *testing.T) {
	var stdout bytes.Buffer
	body := `{"test_number":1,"test_string":"two"}`
	err := run(context.Background(), []string{"sign", "-", "--secret", "test"}, func(string) string { return "" },
		strings.NewReader(body), &stdout, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.TrimSpace(stdout.String()), "sha256=YWHphPn/JFq43jkF0y4/w8R/SelmLjvpunhVFY8JhlI="; got != want {
		t.Errorf("output = %q, want %q", got, want)
	}
}

func TestSendCommandDeliversVerifiedBodies(t *testing.T) {
	secret := fixtures.LoadVectors(t).DeliveriesSecret
	var mu sync.Mutex
	var received [][]byte
	srv := httptest.NewServer(&webhook.Handler{
		ConsumerSecrets: []string{secret},
		Receiver: webhook.ReceiverFunc(func(_ context.Context, d *webhook.Delivery) error {
			mu.Lock()
			defer mu.Unlock()
			received = append(received, d.Body)
			return nil
		}),
	})
	defer srv.Close()
	deliveries := fixtures.LoadDeliveries(t)
	args := []string{"send"}
	for _, d := range deliveries {
		args = append(args, filepath.Join(fixtures.Dir(), "deliveries", d.Name))
	}
	args = append(args, "--url", srv.URL, "--secret", secret)
	out, err := runCLI(t, nil, args...)
	if err != nil {
		t.Fatalf("send: %v\n%s", err, out)
	}
	if len(received) != len(deliveries) {
		t.Fatalf("server received %d deliveries, want %d", len(received), len(deliveries))
	}
	for i, d := range deliveries {
		if !bytes.Equal(received[i], d.Body) {
			t.Errorf("%s: server received different bytes", d.Name)
		}
	}
}

func TestSendCommandReportsRejection(t *testing.T) {
	srv := httptest.NewServer(&webhook.Handler{
		ConsumerSecrets: []string{"right"},
		Receiver:        webhook.ReceiverFunc(func(context.Context, *webhook.Delivery) error { return nil }),
	})
	defer srv.Close()
	path := filepath.Join(fixtures.Dir(), "deliveries", "dm_received.json")
	out, err := runCLI(t, nil, "send", path, "--url", srv.URL, "--secret", "wrong")
	if err == nil {
		t.Fatal("send with the wrong secret succeeded")
	}
	if !strings.Contains(out, "401") {
		t.Errorf("output %q does not report the 401", out)
	}
}

func TestSendCommandMissingFile(t *testing.T) {
	if _, err := runCLI(t, nil, "send", filepath.Join(t.TempDir(), "none.json"), "--secret", "s", "--url", "http://127.0.0.1:1"); err == nil {
		t.Fatal("send of a missing file succeeded")
	}
}

func TestParseFlagsAnyOrder(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	url := fs.String("url", "", "")
	verbose := fs.Bool("v", false, "")
	rest, err := parseFlags(fs, []string{"a.json", "--url", "http://x", "-v", "b.json", "--", "-c.json"})
	if err != nil {
		t.Fatal(err)
	}
	if *url != "http://x" {
		t.Errorf("url = %q", *url)
	}
	if !*verbose {
		t.Error("-v not set")
	}
	if want := []string{"a.json", "b.json", "-c.json"}; strings.Join(rest, ",") != strings.Join(want, ",") {
		t.Errorf("positional = %q, want %q", rest, want)
	}
}

func TestFakeXCommandServesDemoUser(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"fake-x", "--addr", "127.0.0.1:0"}, func(string) string { return "" }, nil, pw, io.Discard)
		pw.Close()
	}()
	var printed strings.Builder
	scanner := bufio.NewScanner(pr)
	for scanner.Scan() {
		printed.WriteString(scanner.Text() + "\n")
		if strings.HasPrefix(scanner.Text(), "  {\"oauthToken\"") {
			break
		}
	}
	go io.Copy(io.Discard, pr)
	text := printed.String()
	field := func(re string) string {
		m := regexp.MustCompile(re).FindStringSubmatch(text)
		if m == nil {
			t.Fatalf("output lacks %s:\n%s", re, text)
		}
		return m[1]
	}
	base := field(`TWITTER__API_BASE_URL=(\S+)`)
	config := oauth1.NewConfig(field(`TWITTER__API_KEY=(\S+)`), field(`TWITTER__API_KEY_SECRET=(\S+)`))
	var connect struct {
		Token  string `json:"oauthToken"`
		Secret string `json:"oauthTokenSecret"`
	}
	if err := json.Unmarshal([]byte(field(`(?m)^  (\{"oauthToken".*\})$`)), &connect); err != nil {
		t.Fatal(err)
	}
	client := config.Client(ctx, oauth1.NewToken(connect.Token, connect.Secret))
	client.Timeout = 10 * time.Second
	resp, err := client.Get(base + "/2/users/me")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var me struct {
		Data struct{ ID, Username string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&me); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || me.Data.Username != "shop_demo" {
		t.Errorf("status %d, user %+v; want 200 and shop_demo", resp.StatusCode, me.Data)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("fake-x returned %v after cancellation", err)
	}
}

func TestCheckLoopbackAddr(t *testing.T) {
	tests := []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1:8089", true},
		{"127.0.0.2:0", true},
		{"[::1]:0", true},
		{"localhost:8089", true},
		{"0.0.0.0:8089", false},
		{"[::]:8089", false},
		{":8089", false},
		{"192.168.1.10:8089", false},
		{"example.com:8089", false},
		{"127.0.0.1", false}, // no port
	}
	for _, tt := range tests {
		err := checkLoopbackAddr(tt.addr)
		if tt.ok && err != nil {
			t.Errorf("checkLoopbackAddr(%q) = %v, want nil", tt.addr, err)
		}
		if !tt.ok && err == nil {
			t.Errorf("checkLoopbackAddr(%q) = nil, want an error", tt.addr)
		}
	}
}

// TestFakeXCommandRefusesRemoteAddr checks that fake-x does not listen on
// a non-loopback address without --allow-remote, and that the error gives
// the reason.
func TestFakeXCommandRefusesRemoteAddr(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0"} {
		var stdout strings.Builder
		err := run(context.Background(), []string{"fake-x", "--addr", addr}, func(string) string { return "" }, nil, &stdout, io.Discard)
		if err == nil {
			t.Fatalf("fake-x --addr %s ran, want an error", addr)
		}
		for _, want := range []string{"not a loopback address", "--allow-remote", "demo credentials"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("fake-x --addr %s: error %q lacks %q", addr, err, want)
			}
		}
		if stdout.Len() != 0 {
			t.Errorf("fake-x --addr %s printed %q, want nothing", addr, stdout.String())
		}
	}
}

func TestExitStatus(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name    string
		err     error
		status  int
		printed string
	}{
		{"success", nil, 0, ""},
		{"help", flag.ErrHelp, 2, ""},
		{"error", boom, 1, "xactivity: boom\n"},
		{"printed as JSON", &reportedError{err: boom}, 1, ""},
		{"wrapped printed error", fmt.Errorf("run: %w", &reportedError{err: boom}), 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr strings.Builder
			if got := exitStatus(tt.err, &stderr); got != tt.status {
				t.Errorf("exit status = %d, want %d", got, tt.status)
			}
			if stderr.String() != tt.printed {
				t.Errorf("printed %q, want %q", stderr.String(), tt.printed)
			}
		})
	}
}

// TestJSONErrorPrintedOnce checks that with --json, in either position, an
// error is one JSON document on stdout and nothing on stderr, also after
// exitStatus.
func TestJSONErrorPrintedOnce(t *testing.T) {
	const missing = "missing environment variables: TWITTER__BEARER_TOKEN"
	tests := []struct {
		name    string
		args    []string
		message string // a part of the JSON error's message
	}{
		{"flag after command", []string{"webhooks", "list", "--json"}, missing},
		{"flag before command", []string{"--json", "webhooks", "list"}, missing},
		{"flag before subcommand", []string{"webhooks", "--json", "list"}, missing},
		{"no subcommand", []string{"--json", "webhooks"}, "webhooks: give a subcommand"},
		{"no subcommand, flag after", []string{"subscriptions", "--json"}, "subscriptions: give a subcommand"},
		{"no URL", []string{"--json", "check-url"}, "check-url: give exactly one URL"},
		{"unknown subcommand", []string{"--json", "subscriptions", "rename"}, `unknown subcommand "rename"`},
		{"unknown command", []string{"--json", "hooks", "list"}, `unknown command "hooks"`},
		{"invalid flag", []string{"webhooks", "list", "--nope", "--json"}, "flag provided but not defined: -nope"},
		{"invalid flag before json", []string{"--json", "replay", "--from", "x", "--bad"}, "flag provided but not defined: -bad"},
		{"json with value", []string{"--json=true", "webhooks", "list"}, missing},
		{"single dash", []string{"-json", "webhooks", "list"}, missing},
		{"missing credentials", []string{"subscriptions", "count", "--json"}, missing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runVars(t, nil, tt.args...)
			if r.err == nil {
				t.Fatal("command succeeded")
			}
			var doc jsonError
			decodeJSON(t, r.stdout, &doc)
			if !strings.Contains(doc.Error.Message, tt.message) {
				t.Errorf("JSON error message %q does not contain %q", doc.Error.Message, tt.message)
			}
			var stderr strings.Builder
			if status := exitStatus(r.err, &stderr); status != 1 {
				t.Errorf("exit status = %d, want 1", status)
			}
			if strings.Contains(r.stderr+stderr.String(), doc.Error.Message) {
				t.Errorf("stderr repeats the error %q:\n%s%s", doc.Error.Message, r.stderr, stderr.String())
			}
		})
	}
}

func TestJSONFlagBeforeCommand(t *testing.T) {
	x := startFakeX(t)
	ep := startWebhook(t, x.app.ConsumerSecret)
	mustRun(t, x.env, "webhooks", "create", "--insecure-url", ep.url("/hook"))

	var list struct {
		Webhooks []webhookView `json:"webhooks"`
	}
	decodeJSON(t, mustRun(t, x.env, "--json", "webhooks", "list"), &list)
	if len(list.Webhooks) != 1 || list.Webhooks[0].URL != ep.url("/hook") {
		t.Errorf("--json webhooks list = %+v, want the one webhook", list)
	}
	decodeJSON(t, mustRun(t, x.env, "webhooks", "--json", "list"), &list)
	if len(list.Webhooks) != 1 {
		t.Errorf("webhooks --json list = %+v, want the one webhook", list)
	}
	if text := mustRun(t, x.env, "--json=false", "webhooks", "list"); !strings.HasPrefix(text, "ID") {
		t.Errorf("--json=false printed %q, want the text table", text)
	}
}

// TestCommandErrorPrintedOnce checks that an error of a command is printed
// once over stdout, stderr and exitStatus together.
func TestCommandErrorPrintedOnce(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		message string
	}{
		{"undefined flag", []string{"crc", "--nope", "token"}, "flag provided but not defined: -nope"},
		{"undefined flag of send", []string{"send", "--nope", "x.json"}, "flag provided but not defined: -nope"},
		{"json after crc", []string{"crc", "--json", "--secret", "s", "token"}, "crc prints no JSON"},
		{"json before crc", []string{"--json", "crc", "--secret", "s", "token"}, "crc prints no JSON"},
		{"json after send", []string{"send", "--json", "x.json"}, "send prints no JSON"},
		{"invalid flag value", []string{"check-url", "--timeout", "soon", "https://example.com/x"}, `invalid value "soon" for flag -timeout`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runVars(t, nil, tt.args...)
			if r.err == nil {
				t.Fatal("command succeeded")
			}
			var stderr strings.Builder
			if status := exitStatus(r.err, &stderr); status != 1 {
				t.Errorf("exit status = %d, want 1", status)
			}
			all := r.stdout + r.stderr + stderr.String()
			if n := strings.Count(all, tt.message); n != 1 {
				t.Errorf("%q printed %d times, want once:\n%s", tt.message, n, all)
			}
		})
	}
}

func TestCheckURLFailureJSONOnly(t *testing.T) {
	srv := httptest.NewServer(&crc.Handler{ConsumerSecret: testSecret})
	defer srv.Close()
	for _, args := range [][]string{
		{"check-url", "--json", "--secret", testSecret, srv.URL + "/hook"},
		{"--json", "check-url", "--secret", testSecret, srv.URL + "/hook"},
	} {
		r := runEnv(t, env{}, args...)
		var report checkReport
		decodeJSON(t, r.stdout, &report)
		if report.OK || !report.CRCResponseOK {
			t.Errorf("%v: ok %t, crcResponseOk %t; want false and true", args, report.OK, report.CRCResponseOK)
		}
		var stderr strings.Builder
		if status := exitStatus(r.err, &stderr); status != 1 {
			t.Errorf("%v: exit status = %d, want 1", args, status)
		}
		if r.stderr != "" || stderr.Len() != 0 {
			t.Errorf("%v: stderr %q%q, want nothing besides the JSON report", args, r.stderr, stderr.String())
		}
	}
}

func TestExtractJSONFlag(t *testing.T) {
	tests := []struct {
		args          []string
		rest          []string
		asJSON, found bool
	}{
		{[]string{"webhooks", "list"}, []string{"webhooks", "list"}, false, false},
		{[]string{"--json", "webhooks", "list"}, []string{"webhooks", "list"}, true, true},
		{[]string{"webhooks", "-json", "list"}, []string{"webhooks", "list"}, true, true},
		{[]string{"--json=false", "replay"}, []string{"replay"}, false, true},
		{[]string{"--json", "--json=0", "replay"}, []string{"replay"}, false, true},
		{[]string{"--json=maybe", "replay"}, []string{"--json=maybe", "replay"}, false, false},
		{[]string{"subscriptions", "remove", "--", "--json"}, []string{"subscriptions", "remove", "--", "--json"}, false, false},
		{[]string{"---json", "json"}, []string{"---json", "json"}, false, false},
	}
	for _, tt := range tests {
		rest, asJSON, found := extractJSONFlag(tt.args)
		if !slices.Equal(rest, tt.rest) || asJSON != tt.asJSON || found != tt.found {
			t.Errorf("extractJSONFlag(%q) = %q, %t, %t; want %q, %t, %t", tt.args, rest, asJSON, found, tt.rest, tt.asJSON, tt.found)
		}
	}
	if got := appendFlag([]string{"subscriptions", "remove", "--", "-1"}, "--json"); !slices.Equal(got, []string{"subscriptions", "remove", "--json", "--", "-1"}) {
		t.Errorf("appendFlag put --json after the lone --: %q", got)
	}
}

// FuzzExtractJSONFlag checks that extractJSONFlag only removes --json
// flags before a lone "--", keeps the order of the other arguments, and
// finds a flag whenever it removes one.
func FuzzExtractJSONFlag(f *testing.F) {
	f.Add("--json\x00webhooks\x00list")
	f.Add("webhooks\x00-json=false\x00--\x00--json")
	f.Add("--json=maybe\x00---json\x00json")
	f.Add("")
	f.Fuzz(func(t *testing.T, joined string) {
		args := strings.Split(joined, "\x00")
		rest, _, found := extractJSONFlag(args)
		if len(rest) > len(args) {
			t.Fatalf("rest %q is longer than args %q", rest, args)
		}
		if found == (len(rest) == len(args)) {
			t.Errorf("found = %t, but %d of %d arguments remain", found, len(rest), len(args))
		}
		// rest is args without the removed flags, in order.
		i := 0
		for _, arg := range args {
			if i < len(rest) && rest[i] == arg {
				i++
			}
		}
		if i != len(rest) {
			t.Errorf("rest %q is not a subsequence of args %q", rest, args)
		}
		end := slices.Index(rest, "--")
		if end < 0 {
			end = len(rest)
		}
		if again, _, foundAgain := extractJSONFlag(rest[:end]); foundAgain || !slices.Equal(again, rest[:end]) {
			t.Errorf("rest %q still contains a --json flag before a lone --", rest)
		}
	})
}
