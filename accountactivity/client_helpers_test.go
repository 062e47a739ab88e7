package accountactivity

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/dghubble/oauth1"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/google/go-cmp/cmp"
	"github.com/jarcoal/httpmock"

	"github.com/goodgo/xactivity/internal/fixtures"
)

// Credentials of the mocked calls. They are not secret: no server accepts
// them.
const (
	mockBearerToken = "test-bearer-token"
	mockBaseURL     = "https://api.x.com"
)

// Kinds of Authorization header a mocked call expects.
const (
	authBearer = "Bearer"
	authOAuth  = "OAuth"
)

// exchange is one expected request and the response the mock sends.
type exchange struct {
	method string
	path   string
	query  url.Values // compared exactly; nil expects none
	json   string     // expected JSON body after decoding; "" expects none
	auth   string     // authBearer or authOAuth

	status   int
	response string
	// offSpec marks a documented response that X's OpenAPI description
	// does not allow, so it is not validated.
	offSpec bool
	// unlisted marks a path that X's OpenAPI description does not list,
	// such as the v1.1 paths, so neither request nor response is
	// validated against it.
	unlisted bool
}

// mockEnvName is the Premium environment name of the mocked clients. Its
// mixed case checks that the name is sent as configured.
const mockEnvName = "Prod-env_1"

// newMock returns a V2 Client whose app and user clients send to an
// httpmock transport, and the transport.
func newMock(t *testing.T, opts ...Option) (*Client, *httpmock.MockTransport) {
	t.Helper()
	return newMockGeneration(t, V2, opts...)
}

// newMockGeneration is newMock for the generation gen, with mockEnvName
// on Premium.
func newMockGeneration(t *testing.T, gen Generation, opts ...Option) (*Client, *httpmock.MockTransport) {
	t.Helper()
	mock := httpmock.NewMockTransport()
	app, err := NewBearerClient(mockBearerToken, mock)
	if err != nil {
		t.Fatalf("NewBearerClient: %v", err)
	}
	cfg := Config{App: app, User: newOAuth1Client(mock), Generation: gen}
	if gen == Premium {
		cfg.EnvName = mockEnvName
	}
	c, err := NewClient(cfg, opts...)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c, mock
}

// newOAuth1Client returns an http.Client that signs with OAuth 1.0a over
// base, as an application builds it with dghubble/oauth1.
func newOAuth1Client(base http.RoundTripper) *http.Client {
	ctx := context.WithValue(context.Background(), oauth1.HTTPClient, &http.Client{Transport: base})
	config := oauth1.NewConfig("test-consumer-key", "test-consumer-secret")
	return config.Client(ctx, oauth1.NewToken("1000000000000000001-test-token", "test-token-secret"))
}

// expect registers ex on mock. The responder checks the request's query,
// body and Authorization kind, and validates the request and a 2xx
// response against X's OpenAPI description.
func expect(t *testing.T, mock *httpmock.MockTransport, ex exchange) {
	t.Helper()
	mock.RegisterResponder(ex.method, mockBaseURL+ex.path, func(req *http.Request) (*http.Response, error) {
		checkRequest(t, req, ex)
		resp := httpmock.NewStringResponse(ex.status, ex.response)
		resp.Header.Set("Content-Type", "application/json; charset=utf-8")
		resp.Request = req
		if ex.status/100 == 2 && !ex.offSpec && !ex.unlisted {
			if err := validateResponse(t, req, ex.status, resp.Header, ex.response); err != nil {
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
	switch {
	case ex.json != "":
		if diff := cmp.Diff(decodeJSON(t, []byte(ex.json)), decodeJSON(t, body)); diff != "" {
			t.Errorf("%s %s JSON body mismatch (-want +got):\n%s", ex.method, ex.path, diff)
		}
	case len(body) != 0:
		t.Errorf("%s %s sent body %q, want none", ex.method, ex.path, body)
	}
	checkAuth(t, req.Header.Get("Authorization"), ex.auth)
	if ex.unlisted {
		if _, _, err := findRoute(t, req); err == nil {
			t.Errorf("%s %s is marked unlisted, but X's OpenAPI description lists it", ex.method, ex.path)
		}
	} else if err := validateRequest(t, req); err != nil {
		t.Errorf("%s %s does not conform to X's OpenAPI description: %v", ex.method, ex.path, err)
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
}

// checkAuth checks that header is the bearer token or an OAuth 1.0a
// header, as kind asks.
func checkAuth(t *testing.T, header, kind string) {
	t.Helper()
	switch kind {
	case authBearer:
		if header != "Bearer "+mockBearerToken {
			t.Errorf("Authorization = %q, want the bearer token", header)
		}
	case authOAuth:
		if !strings.HasPrefix(header, "OAuth ") || !strings.Contains(header, "oauth_signature=") {
			t.Errorf("Authorization = %q, want an OAuth 1.0a header", header)
		}
	default:
		t.Fatalf("exchange has auth kind %q", kind)
	}
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

func decodeJSON(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode JSON %q: %v", b, err)
	}
	return v
}

// checkCalls fails the test unless the mock received exactly n calls.
func checkCalls(t *testing.T, mock *httpmock.MockTransport, n int) {
	t.Helper()
	if got := mock.GetTotalCallCount(); got != n {
		t.Errorf("mock received %d calls, want %d (%v)", got, n, mock.GetCallCountInfo())
	}
}

// openAPI loads X's OpenAPI description once per test binary.
var openAPI = sync.OnceValues(func() (routers.Router, error) {
	doc, err := openapi3.NewLoader().LoadFromFile(fixtures.OpenAPIPath())
	if err != nil {
		return nil, err
	}
	return gorillamux.NewRouter(doc)
})

// checkScheme implements the security schemes of X's operations for the
// validator: the app-only and OAuth 2.0 user schemes need a "Bearer "
// header, the OAuth 1.0a user scheme an "OAuth " one.
func checkScheme(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	auth := in.RequestValidationInput.Request.Header.Get("Authorization")
	switch in.SecuritySchemeName {
	case "BearerToken", "OAuth2UserToken":
		if strings.HasPrefix(auth, "Bearer ") {
			return nil
		}
	case "UserToken":
		if strings.HasPrefix(auth, "OAuth ") {
			return nil
		}
	}
	return errors.New("authorization header does not match scheme " + in.SecuritySchemeName)
}

func findRoute(t *testing.T, req *http.Request) (*routers.Route, map[string]string, error) {
	t.Helper()
	router, err := openAPI()
	if err != nil {
		t.Fatalf("load OpenAPI description: %v", err)
	}
	return router.FindRoute(req)
}

// validateRequest checks req against X's OpenAPI description. req's body is
// read and replaced.
func validateRequest(t *testing.T, req *http.Request) error {
	t.Helper()
	route, params, err := findRoute(t, req)
	if err != nil {
		return err
	}
	return openapi3filter.ValidateRequest(req.Context(), &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: checkScheme},
	})
}

// validateResponse checks a response body the tests send as X.
func validateResponse(t *testing.T, req *http.Request, status int, header http.Header, body string) error {
	t.Helper()
	route, params, err := findRoute(t, req)
	if err != nil {
		return err
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: req, PathParams: params, Route: route,
		},
		Status: status, Header: header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true},
	}
	in.SetBodyBytes([]byte(body))
	return openapi3filter.ValidateResponse(req.Context(), in)
}
