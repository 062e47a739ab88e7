package dm

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/goodgo/xactivity/internal/fixtures"
)

// openAPI loads X's OpenAPI description once per test binary; parsing the
// 850 KB file takes long enough to matter when every test repeats it.
var openAPI = sync.OnceValues(func() (routers.Router, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(fixtures.OpenAPIPath())
	if err != nil {
		return nil, err
	}
	return gorillamux.NewRouter(doc)
})

// checkAuthorization implements the security requirements of X's
// operations for the validator: it accepts the OAuth 1.0a user context ("UserToken") only
// with an "OAuth " Authorization header and the OAuth 2.0 user context
// ("OAuth2UserToken") only with a "Bearer " one. It cannot check the
// signature or the token's scopes, which only X can.
func checkAuthorization(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	auth := in.RequestValidationInput.Request.Header.Get("Authorization")
	switch in.SecuritySchemeName {
	case "UserToken":
		if strings.HasPrefix(auth, "OAuth ") {
			return nil
		}
	case "OAuth2UserToken":
		if strings.HasPrefix(auth, "Bearer ") {
			return nil
		}
	}
	return errors.New("authorization header does not match scheme " + in.SecuritySchemeName)
}

// validateV2Request checks req against X's OpenAPI description. req's body
// is read and replaced.
func validateV2Request(t *testing.T, req *http.Request) error {
	t.Helper()
	router, err := openAPI()
	if err != nil {
		t.Fatalf("load OpenAPI description: %v", err)
	}
	route, params, err := router.FindRoute(req)
	if err != nil {
		return err
	}
	return openapi3filter.ValidateRequest(req.Context(), &openapi3filter.RequestValidationInput{
		Request:    req,
		PathParams: params,
		Route:      route,
		Options:    &openapi3filter.Options{AuthenticationFunc: checkAuthorization},
	})
}

// validateV2Response checks a response body the tests send as X against
// X's OpenAPI description, so the canned responses have X's real shape.
func validateV2Response(t *testing.T, req *http.Request, status int, header http.Header, body string) error {
	t.Helper()
	router, err := openAPI()
	if err != nil {
		t.Fatalf("load OpenAPI description: %v", err)
	}
	route, params, err := router.FindRoute(req)
	if err != nil {
		return err
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: req, PathParams: params, Route: route,
		},
		Status:  status,
		Header:  header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true},
	}
	in.SetBodyBytes([]byte(body))
	return openapi3filter.ValidateResponse(req.Context(), in)
}
