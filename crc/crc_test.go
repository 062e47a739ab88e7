package crc_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/goodgo/xactivity/crc"
	"github.com/goodgo/xactivity/internal/fixtures"
)

func TestResponseTokenVectors(t *testing.T) {
	v := fixtures.LoadVectors(t)
	if len(v.CRC) == 0 {
		t.Fatal("vectors.json has no crc entries")
	}
	for _, vec := range v.CRC {
		t.Run(vec.CRCToken, func(t *testing.T) {
			got := crc.ResponseToken(vec.ConsumerSecret, vec.CRCToken)
			if got != vec.ResponseToken {
				t.Errorf("ResponseToken = %q, want %q", got, vec.ResponseToken)
			}
		})
	}
}

func TestValidToken(t *testing.T) {
	tests := []struct {
		name  string
		token string
		want  bool
	}{
		{"uuid", "9b4507b3-9040-4669-9ca3-6b94edb50553", true},
		{"short", "test", true},
		{"base64 with padding", "q83vEjRWeJA+/w==", true},
		{"underscore and dot", "a_b.c", true},
		{"max length", strings.Repeat("a", crc.MaxTokenLen), true},
		{"empty", "", false},
		{"one over max", strings.Repeat("a", crc.MaxTokenLen+1), false},
		{"2 KB", strings.Repeat("A", 2048), false},
		{"json object", `{"for_user_id":"1","favorite_events":[]}`, false},
		{"space", "a b", false},
		{"quote", `a"b`, false},
		{"colon", "a:b", false},
		{"newline", "a\nb", false},
		{"non-ascii", "caf\u00e9", false},
		{"nul", "a\x00b", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := crc.ValidToken(tt.token); got != tt.want {
				t.Errorf("ValidToken(%q) = %v, want %v", tt.token, got, tt.want)
			}
		})
	}
}

const secret = "example-consumer-secret-0123456789"

func serve(t *testing.T, h http.Handler, method, target string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	return rec
}

func TestHandlerAnswersToken(t *testing.T) {
	h := &crc.Handler{ConsumerSecret: secret}
	tests := []struct {
		name, query, token string
	}{
		{"plain", "crc_token=test", "test"},
		{"uuid", "crc_token=9b4507b3-9040-4669-9ca3-6b94edb50553", "9b4507b3-9040-4669-9ca3-6b94edb50553"},
		{"nonce ignored", "nonce=abc&crc_token=test", "test"},
		{"percent-encoded", "crc_token=" + url.QueryEscape("ab+/=="), "ab+/=="},
		{"encoded key", "crc%5Ftoken=test", "test"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(t, h, http.MethodGet, "/webhook?"+tt.query)
			if rec.Code != http.StatusOK {
				t.Fatalf("status = %d, want 200", rec.Code)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", ct)
			}
			var body map[string]string
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q is not JSON: %v", rec.Body, err)
			}
			want := crc.ResponseToken(secret, tt.token)
			if body["response_token"] != want {
				t.Errorf("response_token = %q, want %q", body["response_token"], want)
			}
			if len(body) != 1 {
				t.Errorf("body has %d fields, want 1: %q", len(body), rec.Body)
			}
		})
	}
}

func TestHandlerMatchesVectorOverHTTP(t *testing.T) {
	vec := fixtures.LoadVectors(t).CRC[0]
	srv := httptest.NewServer(&crc.Handler{ConsumerSecret: vec.ConsumerSecret})
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/?crc_token=" + vec.CRCToken)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		ResponseToken string `json:"response_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if body.ResponseToken != vec.ResponseToken {
		t.Errorf("response_token = %q, want %q", body.ResponseToken, vec.ResponseToken)
	}
}

func TestHandlerRejects(t *testing.T) {
	h := &crc.Handler{ConsumerSecret: secret}
	jsonToken := url.QueryEscape(`{"for_user_id":"1","direct_message_events":[]}`)
	tests := []struct {
		name   string
		method string
		target string
		want   int
	}{
		{"missing token", http.MethodGet, "/", http.StatusBadRequest},
		{"empty token", http.MethodGet, "/?crc_token=", http.StatusBadRequest},
		{"json-shaped token", http.MethodGet, "/?crc_token=" + jsonToken, http.StatusBadRequest},
		{"2 KB token", http.MethodGet, "/?crc_token=" + strings.Repeat("a", 2048), http.StatusBadRequest},
		{"repeated token", http.MethodGet, "/?crc_token=a&crc_token=b", http.StatusBadRequest},
		{"bad escape", http.MethodGet, "/?crc_token=%zz", http.StatusBadRequest},
		{"plus decodes to space", http.MethodGet, "/?crc_token=a+b", http.StatusBadRequest},
		{"post", http.MethodPost, "/?crc_token=test", http.StatusMethodNotAllowed},
		{"delete", http.MethodDelete, "/?crc_token=test", http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(t, h, tt.method, tt.target)
			if rec.Code != tt.want {
				t.Errorf("status = %d, want %d", rec.Code, tt.want)
			}
			if rec.Body.Len() != 0 {
				t.Errorf("body = %q, want empty", rec.Body)
			}
		})
	}
}

func TestHandlerEmptySecret(t *testing.T) {
	rec := serve(t, &crc.Handler{}, http.MethodGet, "/?crc_token=test")
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("status = %d, want 500", rec.Code)
	}
	if rec.Body.Len() != 0 {
		t.Errorf("body = %q, want empty", rec.Body)
	}
}

func TestTokenDoesNotAllocate(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/?nonce=1&crc_token=9b4507b3-9040-4669-9ca3-6b94edb50553", nil)
	allocs := testing.AllocsPerRun(100, func() {
		if _, ok := crc.Token(r); !ok {
			t.Fatal("token rejected")
		}
	})
	if allocs != 0 {
		t.Errorf("Token allocated %v times per call, want 0", allocs)
	}
}

// discardWriter is a ResponseWriter that allocates nothing, so benchmarks
// and allocation tests measure the handler alone.
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(int)             {}

func TestHandlerAllocatesOnlyTheAnswer(t *testing.T) {
	h := &crc.Handler{ConsumerSecret: secret}
	r := httptest.NewRequest(http.MethodGet, "/?crc_token=test", nil)
	w := &discardWriter{h: http.Header{}}
	allocs := testing.AllocsPerRun(100, func() { h.ServeHTTP(w, r) })
	// The answer buffer and the two header values; HMAC states are reused.
	if allocs > 3 {
		t.Errorf("ServeHTTP allocated %v times per call, want at most 3", allocs)
	}
}

func BenchmarkHandler(b *testing.B) {
	h := &crc.Handler{ConsumerSecret: secret}
	r := httptest.NewRequest(http.MethodGet, "/?crc_token=9b4507b3-9040-4669-9ca3-6b94edb50553", nil)
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, r)
	}
}

func FuzzToken(f *testing.F) {
	f.Add("crc_token=test")
	f.Add("nonce=1&crc_token=9b4507b3-9040-4669-9ca3-6b94edb50553")
	f.Add("crc_token=%7B%22a%22%3A1%7D")
	f.Add("crc%5Ftoken=a&crc_token=b")
	f.Fuzz(func(t *testing.T, rawQuery string) {
		r := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/", RawQuery: rawQuery}}
		token, ok := crc.Token(r)
		if !ok {
			return
		}
		if !crc.ValidToken(token) {
			t.Fatalf("Token accepted %q, which ValidToken rejects", token)
		}
		if strings.ContainsAny(token, "{}\"[]:, ") {
			t.Fatalf("Token accepted JSON-like %q", token)
		}
		want, err := url.ParseQuery(rawQuery)
		if err == nil && len(want["crc_token"]) == 1 && want["crc_token"][0] != token {
			t.Fatalf("Token = %q, url.ParseQuery gives %q", token, want["crc_token"][0])
		}
	})
}
