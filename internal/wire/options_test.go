package wire

import (
	"strings"
	"testing"
)

func TestParseBaseURL(t *testing.T) {
	tests := []struct {
		raw     string
		wantErr string // empty for a valid URL
	}{
		{"https://api.x.com", ""},
		{"http://127.0.0.1:8089/prefix", ""},
		{"/api", "absolute"},
		{"ftp://x", "absolute"},
		{"https://x?a=b", "query"},
		{"https://x?", "query"},
		{"https://x#f", "fragment"},
		{"https://u:p@x", "user"},
		{"http://[::1", "invalid base URL"},
	}
	for _, tt := range tests {
		u, err := ParseBaseURL(tt.raw)
		if tt.wantErr == "" {
			if err != nil || u == nil {
				t.Errorf("ParseBaseURL(%q) = %v, %v; want a URL", tt.raw, u, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("ParseBaseURL(%q) error = %v, want one mentioning %q", tt.raw, err, tt.wantErr)
		}
	}
}

func TestCheckUserAgentAndMaxBody(t *testing.T) {
	if err := CheckUserAgent("goodgo-xactivity/1"); err != nil {
		t.Errorf("valid user agent: %v", err)
	}
	for _, ua := range []string{"", "a\r\nX-Evil: 1", "caf\u00e9"} {
		if err := CheckUserAgent(ua); err == nil {
			t.Errorf("CheckUserAgent(%q) accepted", ua)
		}
	}
	if err := CheckMaxBody(1); err != nil {
		t.Errorf("CheckMaxBody(1): %v", err)
	}
	for _, n := range []int64{0, -1} {
		if err := CheckMaxBody(n); err == nil {
			t.Errorf("CheckMaxBody(%d) accepted", n)
		}
	}
}
