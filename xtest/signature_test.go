package xtest

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goodgo/xactivity/internal/fixtures"
)

// vectorParams returns the parameters a published OAuth 1.0a vector signs.
func vectorParams(v fixtures.OAuth1Vector) []param {
	params := []param{
		{"oauth_consumer_key", v.ConsumerKey},
		{"oauth_nonce", v.Nonce},
		{"oauth_signature_method", "HMAC-SHA1"},
		{"oauth_timestamp", v.Timestamp},
		{"oauth_token", v.Token},
		{"oauth_version", "1.0"},
	}
	for k, val := range v.Params {
		params = append(params, param{k, val})
	}
	return params
}

func TestSignatureKnownVectors(t *testing.T) {
	vectors := fixtures.LoadVectors(t).OAuth1
	if len(vectors) == 0 {
		t.Fatal("vectors.json has no oauth1_hmac_sha1 entries")
	}
	for _, v := range vectors {
		t.Run(v.URL, func(t *testing.T) {
			u, err := url.Parse(v.URL)
			if err != nil {
				t.Fatal(err)
			}
			base := signatureBase(v.Method, baseStringURI(u.Scheme, u.Host, u.EscapedPath()), vectorParams(v))
			got := base64.StdEncoding.EncodeToString(signHMACSHA1(base, v.ConsumerSecret, v.TokenSecret))
			if got != v.Signature {
				t.Errorf("signature = %s, want %s (base string %s)", got, v.Signature, base)
			}
		})
	}
}

// TestAuthenticateKnownVectors sends each published vector as a request with
// include_entities in the query and status in a form body, the way the
// vector was made, and checks that the verifier accepts it exactly once.
func TestAuthenticateKnownVectors(t *testing.T) {
	for _, v := range fixtures.LoadVectors(t).OAuth1 {
		t.Run(v.URL, func(t *testing.T) {
			s, user := vectorServer(t, v)
			r := vectorRequest(t, v)
			c, failure := s.authenticate(r, true)
			if failure != nil {
				t.Fatalf("authenticate: %v", failure)
			}
			if c.user != user {
				t.Errorf("caller user = %+v, want %+v", c.user, user)
			}
			if _, failure := s.authenticate(vectorRequest(t, v), true); failure == nil || failure.reason != "nonce already used" {
				t.Errorf("second authenticate: got %v, want nonce already used", failure)
			}
		})
	}
}

func TestAuthenticateTamperedVector(t *testing.T) {
	v := fixtures.LoadVectors(t).OAuth1[0]
	s, _ := vectorServer(t, v)
	r := vectorRequest(t, v)
	r.Body = io.NopCloser(strings.NewReader("status=Hello+Ladies+%2B+Gentlemen%2C+a+signed+OAuth+request%3F"))
	if _, failure := s.authenticate(r, true); failure == nil || failure.reason != "signature mismatch" {
		t.Errorf("authenticate with changed body: got %v, want signature mismatch", failure)
	}
}

func vectorServer(t *testing.T, v fixtures.OAuth1Vector) (*Server, User) {
	t.Helper()
	u, err := url.Parse(v.URL)
	if err != nil {
		t.Fatal(err)
	}
	sec, err := strconv.ParseInt(v.Timestamp, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Unix(sec, 0)
	s := New(WithBaseURL(u.Scheme+"://"+u.Host), WithClock(func() time.Time { return clock }))
	app, err := s.AddApp(App{ID: "1", ConsumerKey: v.ConsumerKey, ConsumerSecret: v.ConsumerSecret})
	if err != nil {
		t.Fatal(err)
	}
	userID, _, _ := strings.Cut(v.Token, "-")
	user, err := s.AddUser(app.ID, User{ID: userID, Token: v.Token, TokenSecret: v.TokenSecret})
	if err != nil {
		t.Fatal(err)
	}
	return s, user
}

func vectorRequest(t *testing.T, v fixtures.OAuth1Vector) *http.Request {
	t.Helper()
	query := url.Values{"include_entities": {v.Params["include_entities"]}}
	body := url.Values{"status": {v.Params["status"]}}
	r := httptest.NewRequest(v.Method, v.URL+"?"+query.Encode(), strings.NewReader(body.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Authorization", formatAuthorization(map[string]string{
		"oauth_consumer_key":     v.ConsumerKey,
		"oauth_nonce":            v.Nonce,
		"oauth_signature":        v.Signature,
		"oauth_signature_method": "HMAC-SHA1",
		"oauth_timestamp":        v.Timestamp,
		"oauth_token":            v.Token,
		"oauth_version":          "1.0",
	}))
	return r
}

// TestSignatureBaseRFC5849 checks the signature base string of the example
// request in RFC 5849, section 3.4.1.1, which has a realm, repeated keys,
// encoded keys, a parameter without "=", and "+" in a form body.
func TestSignatureBaseRFC5849(t *testing.T) {
	r := httptest.NewRequest("POST", "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b",
		strings.NewReader("c2&a3=2+q"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Authorization", `OAuth realm="Example", oauth_consumer_key="9djdj82h48djs9d2", `+
		`oauth_token="kkk9d7dh3k39sjv7", oauth_signature_method="HMAC-SHA1", `+
		`oauth_timestamp="137131201", oauth_nonce="7d8f3e4a", oauth_signature="bYT5CMsGcbgUdFHObYMEfcx6bsw%3D"`)
	params, oauth, failure := collectParams(r)
	if failure != nil {
		t.Fatalf("collectParams: %v", failure)
	}
	if got, want := oauth["oauth_signature"], "bYT5CMsGcbgUdFHObYMEfcx6bsw="; got != want {
		t.Errorf("oauth_signature = %q, want %q", got, want)
	}
	got := signatureBase(r.Method, New().baseStringURI(r), params)
	want := "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q" +
		"%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_" +
		"key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_m" +
		"ethod%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk" +
		"9d7dh3k39sjv7"
	if got != want {
		t.Errorf("signature base string:\n got %s\nwant %s", got, want)
	}
}

func TestPercentEncode(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"unreserved", "AZaz09-._~", "AZaz09-._~"},
		{"space and plus", "Ladies + Gentlemen", "Ladies%20%2B%20Gentlemen"},
		{"reserved", "!*'();:@&=$,/?#[]%", "%21%2A%27%28%29%3B%3A%40%26%3D%24%2C%2F%3F%23%5B%5D%25"},
		{"utf-8", "☃", "%E2%98%83"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentEncode(tt.in); got != tt.want {
				t.Errorf("percentEncode(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestBaseStringURI(t *testing.T) {
	tests := []struct {
		name, scheme, host, path, want string
	}{
		{"lowercase", "HTTP", "API.X.COM", "/2/Users/Me", "http://api.x.com/2/Users/Me"},
		{"http default port", "http", "127.0.0.1:80", "/a", "http://127.0.0.1/a"},
		{"https default port", "https", "api.x.com:443", "/a", "https://api.x.com/a"},
		{"http on 443 keeps port", "http", "api.x.com:443", "/a", "http://api.x.com:443/a"},
		{"https on 80 keeps port", "https", "api.x.com:80", "/a", "https://api.x.com:80/a"},
		{"other port", "http", "127.0.0.1:8080", "/a", "http://127.0.0.1:8080/a"},
		{"ipv6 default port", "http", "[::1]:80", "/a", "http://[::1]/a"},
		{"empty path", "http", "example.com", "", "http://example.com/"},
		{"escaped path", "http", "example.com", "/a%20b", "http://example.com/a%20b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := baseStringURI(tt.scheme, tt.host, tt.path); got != tt.want {
				t.Errorf("baseStringURI(%q, %q, %q) = %q, want %q", tt.scheme, tt.host, tt.path, got, tt.want)
			}
		})
	}
}
