package xtest

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseAuthorization(t *testing.T) {
	tests := []struct {
		name    string
		header  string
		want    map[string]string
		wantErr bool
	}{
		{
			name: "typical client header",
			header: `OAuth oauth_consumer_key="key", oauth_nonce="abc%2Bdef%3D", ` +
				`oauth_signature="tnnArxj06cWHq44gCs1OSKk%2FjLY%3D", oauth_signature_method="HMAC-SHA1", ` +
				`oauth_timestamp="1318622958", oauth_token="370773112-abc", oauth_version="1.0"`,
			want: map[string]string{
				"oauth_consumer_key": "key", "oauth_nonce": "abc+def=",
				"oauth_signature": "tnnArxj06cWHq44gCs1OSKk/jLY=", "oauth_signature_method": "HMAC-SHA1",
				"oauth_timestamp": "1318622958", "oauth_token": "370773112-abc", "oauth_version": "1.0",
			},
		},
		{name: "realm kept", header: `OAuth realm="Example",oauth_nonce="n"`,
			want: map[string]string{"realm": "Example", "oauth_nonce": "n"}},
		{name: "scheme in any case", header: `oauth oauth_nonce="n"`, want: map[string]string{"oauth_nonce": "n"}},
		{name: "tabs and trailing comma", header: "OAuth \toauth_nonce=\"n\" ,\t", want: map[string]string{"oauth_nonce": "n"}},
		{name: "empty value", header: `OAuth oauth_token=""`, want: map[string]string{"oauth_token": ""}},
		{name: "plus stays plus", header: `OAuth oauth_nonce="a+b"`, want: map[string]string{"oauth_nonce": "a+b"}},
		{name: "no parameters", header: `OAuth`, want: map[string]string{}},
		{name: "bearer", header: `Bearer AAAA`, wantErr: true},
		{name: "empty", header: ``, wantErr: true},
		{name: "unquoted value", header: `OAuth oauth_nonce=n`, wantErr: true},
		{name: "no closing quote", header: `OAuth oauth_nonce="n`, wantErr: true},
		{name: "missing comma", header: `OAuth a="1" b="2"`, wantErr: true},
		{name: "double comma", header: `OAuth a="1",,b="2"`, wantErr: true},
		{name: "no equals", header: `OAuth oauth_nonce`, wantErr: true},
		{name: "empty name", header: `OAuth ="x"`, wantErr: true},
		{name: "duplicate name", header: `OAuth a="1", a="2"`, wantErr: true},
		{name: "duplicate after decoding", header: `OAuth a="1", %61="2"`, wantErr: true},
		{name: "bad escape", header: `OAuth a="%zz"`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseAuthorization(tt.header)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("parseAuthorization(%q) = %v, want an error", tt.header, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseAuthorization(%q): %v", tt.header, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseAuthorization(%q) mismatch (-want +got):\n%s", tt.header, diff)
			}
		})
	}
}

func TestParseAuthorizationNotOAuth(t *testing.T) {
	if _, err := parseAuthorization("Bearer token"); !errors.Is(err, errNotOAuth) {
		t.Errorf("parseAuthorization(Bearer) error = %v, want errNotOAuth", err)
	}
}

// FuzzParseAuthorization checks that the parser never panics and that every
// header it accepts survives a format and parse round trip unchanged.
func FuzzParseAuthorization(f *testing.F) {
	seeds := []string{
		`OAuth oauth_consumer_key="xvz1evFS4wEEPTGEFPHBog", oauth_nonce="kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg", oauth_signature="tnnArxj06cWHq44gCs1OSKk%2FjLY%3D", oauth_signature_method="HMAC-SHA1", oauth_timestamp="1318622958", oauth_token="370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb", oauth_version="1.0"`,
		`OAuth realm="Example",oauth_nonce="n"`,
		`OAuth a="%E2%98%83", b=""`,
		`OAuth a="1",,b="2"`,
		`OAuth a="%zz"`,
		`Bearer AAAA`,
		`OAuth`,
		``,
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		params, err := parseAuthorization(header)
		if err != nil {
			return
		}
		again, err := parseAuthorization(formatAuthorization(params))
		if err != nil {
			t.Fatalf("parse of formatted %q: %v", formatAuthorization(params), err)
		}
		if diff := cmp.Diff(params, again); diff != "" {
			t.Errorf("round trip of %q changed the parameters (-first +second):\n%s", header, diff)
		}
	})
}
