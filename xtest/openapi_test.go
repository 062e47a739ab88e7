package xtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/goodgo/xactivity/internal/fixtures"
)

// specServer is the server URL of X's OpenAPI description; routes are
// looked up under it.
const specServer = "https://api.x.com"

// specRouter loads X's OpenAPI description once per test binary, because
// parsing the 850 KB file is slow. The description is not checked as a
// whole: its CreateCommunityNotesInfo schema has a lookahead pattern that
// Go's regexp cannot compile, and no DM schema depends on it.
var specRouter = sync.OnceValues(func() (routers.Router, error) {
	doc, err := openapi3.NewLoader().LoadFromFile(fixtures.OpenAPIPath())
	if err != nil {
		return nil, err
	}
	return gorillamux.NewRouter(doc)
})

// isCheckedV2Path reports whether path is one of the v2 DM, webhook, Account
// Activity or X Activity API endpoints whose responses the tests check
// against X's OpenAPI description.
func isCheckedV2Path(path string) bool {
	for _, prefix := range []string{"/2/dm_conversations", "/2/dm_events", "/2/webhooks", "/2/account_activity/", "/2/activity/"} {
		if strings.HasPrefix(path, prefix) {
			return true
		}
	}
	return false
}

func hasAnyPrefix(path string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

// checkV2Response checks a response of the fake to req against X's OpenAPI
// description: status, headers and body by the operation's schema, and
// additionally that a success body has no member the schema does not
// declare.
//
// Problems of type "about:blank" are checked against the generic problem
// shape instead. X sends them for 401, 403, 404 and 429, but the Problem
// schema of the description lists only X's typed problems and so would
// reject every one of them.
func checkV2Response(req *http.Request, status int, header http.Header, body []byte) error {
	router, err := specRouter()
	if err != nil {
		return fmt.Errorf("load OpenAPI description: %w", err)
	}
	specReq := req.Clone(req.Context())
	specReq.URL, err = url.Parse(specServer + req.URL.RequestURI())
	if err != nil {
		return err
	}
	specReq.Host = specReq.URL.Host

	route, params, err := router.FindRoute(specReq)
	if err != nil {
		return fmt.Errorf("find route of %s %s: %w", req.Method, req.URL.Path, err)
	}
	if isBlankProblem(header, body) {
		return checkBlankProblem(status, body)
	}
	if isUnsupportedAuthProblem(header, body) {
		return checkUnsupportedAuthProblem(status, body)
	}

	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: specReq, PathParams: params, Route: route,
		},
		Status:  status,
		Header:  header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	in.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(req.Context(), in); err != nil {
		return err
	}

	if status >= 400 {
		// The invalid-request problem carries an errors array that X sends
		// but the Problem schemas do not declare, so only the schema's own
		// checks above apply to error bodies.
		return nil
	}
	return checkDeclared(route.Operation, status, body)
}

// isBlankProblem reports whether a response is a problem JSON of type
// "about:blank".
func isBlankProblem(header http.Header, body []byte) bool {
	if header.Get("Content-Type") != "application/problem+json" {
		return false
	}
	var p struct {
		Type string `json:"type"`
	}
	return json.Unmarshal(body, &p) == nil && p.Type == "about:blank"
}

// checkBlankProblem checks body against the generic problem X sends:
// exactly title, type, status and detail, with the response's status and
// its standard text as the title.
func checkBlankProblem(status int, body []byte) error {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(body, &members); err != nil {
		return err
	}
	var names []string
	for name := range members {
		names = append(names, name)
	}
	slices.Sort(names)
	if want := []string{"detail", "status", "title", "type"}; !slices.Equal(names, want) {
		return fmt.Errorf("about:blank problem has members %v, want %v", names, want)
	}
	var p problem
	if err := json.Unmarshal(body, &p); err != nil {
		return err
	}
	if p.Status != status || p.Title != http.StatusText(status) || p.Detail == "" {
		return fmt.Errorf("about:blank problem %s does not match status %d", body, status)
	}
	return nil
}

// isUnsupportedAuthProblem reports whether a response is X's
// unsupported-authentication problem, which the Problem schema of the
// description does not list either.
func isUnsupportedAuthProblem(header http.Header, body []byte) bool {
	if header.Get("Content-Type") != "application/problem+json" {
		return false
	}
	var p struct {
		Type string `json:"type"`
	}
	return json.Unmarshal(body, &p) == nil && p.Type == "https://api.x.com/2/problems/unsupported-authentication"
}

// checkUnsupportedAuthProblem checks body against the unsupported-authentication
// problem X sends: exactly title, detail, type and status, with status 403.
func checkUnsupportedAuthProblem(status int, body []byte) error {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(body, &members); err != nil {
		return err
	}
	names := slices.Sorted(maps.Keys(members))
	if want := []string{"detail", "status", "title", "type"}; !slices.Equal(names, want) {
		return fmt.Errorf("unsupported-authentication problem has members %v, want %v", names, want)
	}
	var p problem
	if err := json.Unmarshal(body, &p); err != nil {
		return err
	}
	if status != http.StatusForbidden || p.Status != status || p.Title != "Unsupported Authentication" || p.Detail == "" {
		return fmt.Errorf("unsupported-authentication problem %s with status %d, want 403", body, status)
	}
	return nil
}

// checkDeclared reports the members of a success body that the response
// schema of op does not declare, so that a misspelt field name fails even
// where the schema allows additional properties.
func checkDeclared(op *openapi3.Operation, status int, body []byte) error {
	resp := op.Responses.Status(status)
	if resp == nil || resp.Value == nil {
		return fmt.Errorf("no response %d in the description", status)
	}
	media := resp.Value.Content.Get("application/json")
	if media == nil || media.Schema == nil {
		return errors.New("no application/json schema in the description")
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return err
	}
	bad := slices.DeleteFunc(undeclared(media.Schema.Value, v, "$"), func(path string) bool {
		return slices.ContainsFunc(documentedExtras[op.OperationID], func(extra string) bool {
			return path == extra || strings.HasPrefix(path, extra+".")
		})
	})
	if len(bad) > 0 {
		return fmt.Errorf("members not declared by the schema: %s", strings.Join(bad, ", "))
	}
	return nil
}

// documentedExtras lists, by operation id, the members of success bodies
// that X documents elsewhere but the description does not declare, with
// everything under them.
var documentedExtras = map[string][]string{
	// X's reference page for GET /2/activity/subscriptions documents that
	// further pages are read with meta.next_token, and its samples show
	// meta.total_subscriptions, but the description's
	// GetActivitySubscriptionsResponse has no meta.
	"getActivitySubscriptions": {"$.meta"},
}

// undeclared returns the paths of members of v that schema does not
// declare, looking through allOf, anyOf and oneOf and into arrays.
func undeclared(schema *openapi3.Schema, v any, path string) []string {
	if schema == nil {
		return nil
	}
	var bad []string
	switch v := v.(type) {
	case map[string]any:
		props := properties(schema)
		if props == nil {
			return nil // a free-form object
		}
		for name, member := range v {
			ref, ok := props[name]
			if !ok {
				bad = append(bad, path+"."+name)
				continue
			}
			bad = append(bad, undeclared(ref.Value, member, path+"."+name)...)
		}
	case []any:
		items := itemSchema(schema)
		for i, item := range v {
			bad = append(bad, undeclared(items, item, fmt.Sprintf("%s[%d]", path, i))...)
		}
	}
	return bad
}

// properties returns the declared properties of schema and of its
// alternatives, or nil when it declares none.
func properties(schema *openapi3.Schema) openapi3.Schemas {
	var out openapi3.Schemas
	add := func(s *openapi3.Schema) {
		for name, ref := range s.Properties {
			if out == nil {
				out = make(openapi3.Schemas)
			}
			out[name] = ref
		}
	}
	add(schema)
	for _, refs := range []openapi3.SchemaRefs{schema.AllOf, schema.AnyOf, schema.OneOf} {
		for _, ref := range refs {
			if ref.Value != nil {
				add(ref.Value)
			}
		}
	}
	return out
}

// itemSchema returns the item schema of an array schema or of its first
// alternative that has one.
func itemSchema(schema *openapi3.Schema) *openapi3.Schema {
	if schema.Items != nil {
		return schema.Items.Value
	}
	for _, refs := range []openapi3.SchemaRefs{schema.AllOf, schema.AnyOf, schema.OneOf} {
		for _, ref := range refs {
			if ref.Value != nil && ref.Value.Items != nil {
				return ref.Value.Items.Value
			}
		}
	}
	return nil
}

// specCheck is an http.RoundTripper that checks every response to a
// checked v2 endpoint against X's OpenAPI description and reports a mismatch as a
// test error.
type specCheck struct {
	t    *testing.T
	next http.RoundTripper
	// paths are further path prefixes to check beside the DM, webhook
	// and subscription endpoints.
	paths []string
}

func (c specCheck) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(req)
	if err != nil || !(isCheckedV2Path(req.URL.Path) || hasAnyPrefix(req.URL.Path, c.paths)) {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err := checkV2Response(req, resp.StatusCode, resp.Header, body); err != nil {
		c.t.Errorf("%s %s: response %d %s does not match X's OpenAPI description: %v",
			req.Method, req.URL.Path, resp.StatusCode, body, err)
	}
	return resp, nil
}

func TestCheckV2Response(t *testing.T) {
	const sendPath = "/2/dm_conversations/with/123/messages"
	jsonHeader := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	problemHeader := http.Header{"Content-Type": {"application/problem+json"}}
	tests := []struct {
		name, method, path string
		status             int
		header             http.Header
		body               string
		wantErr            bool
	}{
		{"send created", "POST", sendPath, 201, jsonHeader,
			`{"data":{"dm_conversation_id":"1-2","dm_event_id":"3"}}`, false},
		{"send id as number", "POST", sendPath, 201, jsonHeader,
			`{"data":{"dm_conversation_id":"1-2","dm_event_id":3}}`, true},
		{"send missing event id", "POST", sendPath, 201, jsonHeader,
			`{"data":{"dm_conversation_id":"1-2"}}`, true},
		{"send misspelt member", "POST", sendPath, 201, jsonHeader,
			`{"data":{"dm_conversation_id":"1-2","dm_event_id":"3","dm_eventid":"3"}}`, true},
		{"listing misspelt event field", "GET", "/2/dm_events", 200, jsonHeader,
			`{"data":[{"id":"1","event_type":"MessageCreate","senderid":"2"}],"meta":{"result_count":1}}`, true},
		{"listing created_at not a time", "GET", "/2/dm_events", 200, jsonHeader,
			`{"data":[{"id":"1","event_type":"MessageCreate","created_at":"yesterday"}],"meta":{"result_count":1}}`, true},
		{"listing result_count a string", "GET", "/2/dm_events", 200, jsonHeader,
			`{"meta":{"result_count":"0"}}`, true},
		{"invalid request", "GET", "/2/dm_events", 400, problemHeader,
			`{"errors":[{"message":"x"}],"title":"Invalid Request","detail":"d","type":"https://api.x.com/2/problems/invalid-request"}`, false},
		{"invalid request without detail", "GET", "/2/dm_events", 400, problemHeader,
			`{"title":"Invalid Request","type":"https://api.x.com/2/problems/invalid-request"}`, true},
		{"unknown problem type", "GET", "/2/dm_events", 400, problemHeader,
			`{"title":"t","detail":"d","type":"https://api.x.com/2/problems/made-up"}`, true},
		{"blank problem", "GET", "/2/dm_events", 429, problemHeader,
			`{"title":"Too Many Requests","type":"about:blank","status":429,"detail":"Too Many Requests"}`, false},
		{"blank problem wrong status", "GET", "/2/dm_events", 429, problemHeader,
			`{"title":"Too Many Requests","type":"about:blank","status":403,"detail":"Too Many Requests"}`, true},
		{"blank problem extra member", "GET", "/2/dm_events", 403, problemHeader,
			`{"title":"Forbidden","type":"about:blank","status":403,"detail":"Forbidden","x":1}`, true},
		{"unknown path", "GET", "/2/dm_nothing", 200, jsonHeader, `{}`, true},
		{"unsupported authentication", "GET", "/2/webhooks", 403, problemHeader,
			`{"title":"Unsupported Authentication","detail":"d","type":"https://api.x.com/2/problems/unsupported-authentication","status":403}`, false},
		{"unsupported authentication wrong status", "GET", "/2/webhooks", 401, problemHeader,
			`{"title":"Unsupported Authentication","detail":"d","type":"https://api.x.com/2/problems/unsupported-authentication","status":401}`, true},
		{"unsupported authentication extra member", "GET", "/2/webhooks", 403, problemHeader,
			`{"title":"Unsupported Authentication","detail":"d","type":"https://api.x.com/2/problems/unsupported-authentication","status":403,"x":1}`, true},
		{"webhook created", "POST", "/2/webhooks", 200, jsonHeader,
			`{"data":{"id":"1","url":"https://a.test/","valid":true,"created_at":"2026-01-01T00:00:00.000Z"}}`, false},
		{"webhook created without valid", "POST", "/2/webhooks", 200, jsonHeader,
			`{"data":{"id":"1","url":"https://a.test/","created_at":"2026-01-01T00:00:00.000Z"}}`, true},
		{"subscription count as number", "GET", "/2/account_activity/subscriptions/count", 200, jsonHeader,
			`{"data":{"subscriptions_count_all":1}}`, true},
		{"activity subscription created", "POST", "/2/activity/subscriptions", 200, jsonHeader,
			`{"data":{"subscription":{"subscription_id":"1","event_type":"follow.follow","filter":{"user_id":"2"}}}}`, false},
		{"activity subscription misspelt filter member", "POST", "/2/activity/subscriptions", 200, jsonHeader,
			`{"data":{"subscription":{"subscription_id":"1","event_type":"follow.follow","filter":{"userid":"2"}}}}`, true},
		{"activity listing with documented meta", "GET", "/2/activity/subscriptions", 200, jsonHeader,
			`{"data":[{"subscription_id":"1","event_type":"news.new","filter":{"keyword":"a"}}],"meta":{"total_subscriptions":1,"next_token":"64"}}`, false},
		{"activity listing misspelt member", "GET", "/2/activity/subscriptions", 200, jsonHeader,
			`{"data":[{"subscriptionid":"1"}]}`, true},
		{"activity deletion with meta", "DELETE", "/2/activity/subscriptions/1", 200, jsonHeader,
			`{"data":{"deleted":true},"meta":{"total_subscriptions":0}}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, "http://127.0.0.1"+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = checkV2Response(req, tt.status, tt.header, []byte(tt.body))
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Errorf("checkV2Response error = %v, want error %v", err, tt.wantErr)
			}
		})
	}
}
