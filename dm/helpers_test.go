package dm

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/dghubble/oauth1"
	"github.com/google/go-cmp/cmp"
	"github.com/jarcoal/httpmock"
)

// Credentials of the mocked calls. They are not secret: no server
// accepts them.
const (
	testConsumerKey    = "test-consumer-key"
	testConsumerSecret = "test-consumer-secret"
	testToken          = "1000000000000000001-test-token"
	testTokenSecret    = "test-token-secret"
	testBaseURL        = "https://api.x.com"
)

// exchange is one expected request and the response the mock sends.
type exchange struct {
	method string
	path   string
	// query is compared exactly; nil expects none.
	query url.Values
	// json is the expected JSON body, compared after decoding; "" expects
	// none unless form is set.
	json string
	// form is the expected form body.
	form url.Values

	status   int
	header   http.Header
	response string
}

// newOAuth1Client returns an http.Client that signs with OAuth 1.0a over
// base, as an application would build it with dghubble/oauth1.
func newOAuth1Client(base http.RoundTripper) *http.Client {
	ctx := context.WithValue(context.Background(), oauth1.HTTPClient, &http.Client{Transport: base})
	config := oauth1.NewConfig(testConsumerKey, testConsumerSecret)
	return config.Client(ctx, oauth1.NewToken(testToken, testTokenSecret))
}

// newMock returns a Client that signs with OAuth 1.0a and sends to an
// httpmock transport, and the transport.
func newMock(t *testing.T, opts ...Option) (*Client, *httpmock.MockTransport) {
	t.Helper()
	mock := httpmock.NewMockTransport()
	c, err := NewClient(newOAuth1Client(mock), opts...)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c, mock
}

// expect registers ex on mock. The responder checks the request's query,
// body and Authorization header, and validates every v2 request against
// X's OpenAPI description.
func expect(t *testing.T, mock *httpmock.MockTransport, ex exchange) {
	t.Helper()
	mock.RegisterResponder(ex.method, testBaseURL+ex.path, func(req *http.Request) (*http.Response, error) {
		checkRequest(t, req, ex)
		resp := httpmock.NewStringResponse(ex.status, ex.response)
		resp.Header.Set("Content-Type", "application/json; charset=utf-8")
		for k, v := range ex.header {
			resp.Header[k] = v
		}
		resp.Request = req
		if strings.HasPrefix(ex.path, "/2/") && ex.status/100 == 2 {
			err := validateV2Response(t, req, ex.status, resp.Header, ex.response)
			if err != nil {
				t.Errorf("canned response of %s %s does not conform to X's OpenAPI description: %v", ex.method, ex.path, err)
			}
		}
		return resp, nil
	})
}

func checkRequest(t *testing.T, req *http.Request, ex exchange) {
	t.Helper()
	body := readBody(t, req)
	gotQuery := req.URL.Query()
	if len(gotQuery) == 0 {
		gotQuery = nil
	}
	if diff := cmp.Diff(ex.query, gotQuery); diff != "" {
		t.Errorf("%s %s query mismatch (-want +got):\n%s", ex.method, ex.path, diff)
	}
	checkBody(t, req, body, ex)
	checkOAuthHeader(t, req.Header.Get("Authorization"))
	if got := req.Header.Get("User-Agent"); got != DefaultUserAgent {
		t.Errorf("User-Agent = %q, want %q", got, DefaultUserAgent)
	}
	if strings.HasPrefix(ex.path, "/2/") {
		if err := validateV2Request(t, req); err != nil {
			t.Errorf("%s %s does not conform to X's OpenAPI description: %v", ex.method, ex.path, err)
		}
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
}

func readBody(t *testing.T, req *http.Request) []byte {
	t.Helper()
	if req.Body == nil {
		return nil
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		t.Fatalf("read request body: %v", err)
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	return body
}

func checkBody(t *testing.T, req *http.Request, body []byte, ex exchange) {
	t.Helper()
	contentType := req.Header.Get("Content-Type")
	switch {
	case ex.json != "":
		if contentType != "application/json" {
			t.Errorf("Content-Type = %q, want application/json", contentType)
		}
		if diff := cmp.Diff(decodeJSON(t, []byte(ex.json)), decodeJSON(t, body)); diff != "" {
			t.Errorf("%s %s JSON body mismatch (-want +got):\n%s", ex.method, ex.path, diff)
		}
	case ex.form != nil:
		if contentType != "application/x-www-form-urlencoded" {
			t.Errorf("Content-Type = %q, want application/x-www-form-urlencoded", contentType)
		}
		got, err := url.ParseQuery(string(body))
		if err != nil {
			t.Fatalf("form body %q: %v", body, err)
		}
		if diff := cmp.Diff(ex.form, got); diff != "" {
			t.Errorf("%s %s form body mismatch (-want +got):\n%s", ex.method, ex.path, diff)
		}
	default:
		if len(body) != 0 {
			t.Errorf("%s %s sent body %q, want none", ex.method, ex.path, body)
		}
	}
}

func decodeJSON(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode JSON %q: %v", b, err)
	}
	return v
}

// checkOAuthHeader checks that header is an OAuth 1.0a Authorization
// header for the test credentials with every protocol parameter.
func checkOAuthHeader(t *testing.T, header string) {
	t.Helper()
	params, ok := parseOAuthHeader(header)
	if !ok {
		t.Errorf("Authorization = %q, want an OAuth 1.0a header", header)
		return
	}
	want := map[string]string{
		"oauth_consumer_key":     testConsumerKey,
		"oauth_token":            testToken,
		"oauth_signature_method": "HMAC-SHA1",
		"oauth_version":          "1.0",
	}
	for k, v := range want {
		if params[k] != v {
			t.Errorf("Authorization %s = %q, want %q", k, params[k], v)
		}
	}
	for _, k := range []string{"oauth_nonce", "oauth_timestamp", "oauth_signature"} {
		if params[k] == "" {
			t.Errorf("Authorization has no %s", k)
		}
	}
}

// parseOAuthHeader splits `OAuth k="v", k2="v2"` into decoded parameters.
func parseOAuthHeader(header string) (map[string]string, bool) {
	rest, ok := strings.CutPrefix(header, "OAuth ")
	if !ok {
		return nil, false
	}
	params := map[string]string{}
	for _, pair := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if !ok {
			return nil, false
		}
		v, err := url.PathUnescape(strings.Trim(v, `"`))
		if err != nil {
			return nil, false
		}
		params[k] = v
	}
	return params, true
}

// checkCalls fails the test unless the mock received exactly n calls.
func checkCalls(t *testing.T, mock *httpmock.MockTransport, n int) {
	t.Helper()
	if got := mock.GetTotalCallCount(); got != n {
		t.Errorf("mock received %d calls, want %d (%v)", got, n, mock.GetCallCountInfo())
	}
}

// roundTripFunc is an http.RoundTripper made of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

// bearer adds an OAuth 2.0 bearer token, as an OAuth 2.0 user-context
// client does.
type bearer struct {
	token string
	base  http.RoundTripper
}

func (b bearer) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "Bearer "+b.token)
	return b.base.RoundTrip(req)
}

// jsonResponse returns a response to req with a JSON body.
func jsonResponse(req *http.Request, status int, body string) *http.Response {
	resp := httpmock.NewStringResponse(status, body)
	resp.Header.Set("Content-Type", "application/json")
	resp.Request = req
	return resp
}

func newTestRequest(t *testing.T, method, rawURL, body string) *http.Request {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, rawURL, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}
