package wire

import (
	"encoding/json"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/goodgo/xactivity"
	"github.com/goodgo/xactivity/ratelimit"
)

// NewAPIError decodes a failed response into an *xactivity.APIError. It
// accepts both of X's error shapes, v1.1 {"errors":[{"code","message"}]}
// and v2 problem JSON with an optional errors array, mixed in one body, and
// never fails: a body of neither shape is described in Detail by its
// content type and size. Fields of the wrong JSON type are ignored.
func NewAPIError(endpoint string, status int, h http.Header, body []byte) *xactivity.APIError {
	e := &xactivity.APIError{
		StatusCode: status,
		Endpoint:   endpoint,
		Rate:       ratelimit.Parse(h),
	}
	if t, err := http.ParseTime(h.Get("Date")); err == nil {
		e.ServerTime = t.UTC()
	}
	decodeErrorBody(e, h.Get("Content-Type"), body)
	if status == http.StatusTooManyRequests {
		e.RateLimit = &ratelimit.Error{
			Rate:       e.Rate,
			Reset:      resetOf(e.Rate, time.Now()),
			StatusCode: status,
			Endpoint:   endpoint,
		}
	}
	return e
}

// NewPartialError returns the error for a v2 response with a 2xx status
// whose body has errors and no data: the call failed as a whole, such as a
// lookup of an id that does not exist.
func NewPartialError(endpoint string, resp Response, problems []xactivity.Problem) *xactivity.APIError {
	e := NewAPIError(endpoint, resp.StatusCode, resp.Header, nil)
	e.Problems = problems
	return e
}

// resetOf returns when a 429 can be expected to end: the latest reset of
// an exhausted limit, or else the latest reset reported, or the zero Time
// when the response had no usable rate-limit headers.
func resetOf(r ratelimit.Rate, now time.Time) time.Time {
	if until, ok := r.Exhausted(now); ok {
		return until
	}
	var latest time.Time
	for _, l := range []*ratelimit.Limit{r.Window, r.User24h, r.App24h} {
		if l != nil && l.Reset.After(now) && l.Reset.After(latest) {
			latest = l.Reset
		}
	}
	return latest
}

func decodeErrorBody(e *xactivity.APIError, contentType string, body []byte) {
	if len(body) == 0 {
		return
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		if json.Valid(body) {
			e.Detail = "JSON body without errors (" + strconv.Itoa(len(body)) + " bytes)"
		} else {
			e.Detail = describeBody(contentType, len(body))
		}
		return
	}
	problems, codes, messages := classifyEntries(top["errors"])
	e.Codes = codes
	if isProblem(top) {
		// The body is one problem, and bare messages in its errors array
		// belong to it.
		p := problemOf(top)
		p.Errors = messages
		e.Problems = append([]xactivity.Problem{p}, problems...)
	} else {
		e.Problems = problems
		for _, m := range messages {
			e.Problems = append(e.Problems, xactivity.Problem{Detail: m.Message})
		}
	}
	if msg := stringField(top, "error"); msg != "" {
		e.Detail = msg // some v1.1 endpoints send {"error":"..."}
	}
	if len(e.Problems) == 0 && len(e.Codes) == 0 && e.Detail == "" {
		e.Detail = "JSON body without errors (" + strconv.Itoa(len(body)) + " bytes)"
	}
}

func describeBody(contentType string, n int) string {
	mediaType, _, err := mime.ParseMediaType(contentType)
	if err != nil || mediaType == "" {
		mediaType = "no valid content type"
	}
	return "non-JSON body (" + mediaType + ", " + strconv.Itoa(n) + " bytes)"
}

// Problems converts the entries of a v2 errors array, such as the partial
// errors of a successful response. Entries in the v1.1 shape become
// problems whose Title is the message and Detail names the code; bare
// messages become problems with only a Detail.
func Problems(raw json.RawMessage) []xactivity.Problem {
	problems, codes, messages := classifyEntries(raw)
	for _, c := range codes {
		problems = append(problems, xactivity.Problem{
			Title:  c.Message,
			Detail: "code " + strconv.Itoa(c.Code),
		})
	}
	for _, m := range messages {
		problems = append(problems, xactivity.Problem{Detail: m.Message})
	}
	return problems
}

// classifyEntries splits an errors array into v2 problems, v1.1 codes,
// and the bare messages that invalid-request problems list. A value that
// is not an array, and entries that are not objects, are ignored.
func classifyEntries(raw json.RawMessage) ([]xactivity.Problem, []xactivity.ErrorCode, []xactivity.ProblemError) {
	var entries []json.RawMessage
	if len(raw) == 0 || json.Unmarshal(raw, &entries) != nil {
		return nil, nil, nil
	}
	var (
		problems []xactivity.Problem
		codes    []xactivity.ErrorCode
		messages []xactivity.ProblemError
	)
	for _, entry := range entries {
		var m map[string]json.RawMessage
		if json.Unmarshal(entry, &m) != nil || m == nil {
			continue
		}
		switch {
		case m["code"] != nil:
			codes = append(codes, xactivity.ErrorCode{
				Code:    intField(m, "code"),
				Message: stringField(m, "message"),
			})
		case isProblem(m):
			problems = append(problems, problemOf(m))
		default:
			messages = append(messages, xactivity.ProblemError{
				Message:    stringField(m, "message"),
				Parameters: parametersOf(m["parameters"]),
			})
		}
	}
	return problems, codes, messages
}

func isProblem(m map[string]json.RawMessage) bool {
	return m["type"] != nil || m["title"] != nil || m["detail"] != nil
}

func problemOf(m map[string]json.RawMessage) xactivity.Problem {
	return xactivity.Problem{
		Type:         stringField(m, "type"),
		Title:        stringField(m, "title"),
		Detail:       stringField(m, "detail"),
		Status:       intField(m, "status"),
		ResourceType: stringField(m, "resource_type"),
		ResourceID:   stringField(m, "resource_id"),
		Parameter:    stringField(m, "parameter"),
		Value:        stringField(m, "value"),
	}
}

// parametersOf decodes {"name":["value",...]}; a single value in place of
// the array is accepted too.
func parametersOf(raw json.RawMessage) map[string][]string {
	var m map[string]json.RawMessage
	if len(raw) == 0 || json.Unmarshal(raw, &m) != nil || len(m) == 0 {
		return nil
	}
	out := make(map[string][]string, len(m))
	for name, v := range m {
		var list []FlexString
		if json.Unmarshal(v, &list) != nil {
			var one FlexString
			if json.Unmarshal(v, &one) != nil {
				continue
			}
			list = []FlexString{one}
		}
		values := make([]string, len(list))
		for i, s := range list {
			values[i] = string(s)
		}
		out[name] = values
	}
	return out
}

// stringField returns m[key] as a string, accepting a JSON string or
// number and returning "" for anything else.
func stringField(m map[string]json.RawMessage, key string) string {
	var s FlexString
	if raw, ok := m[key]; !ok || json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return string(s)
}

// intField returns m[key] as an int, accepting a JSON number or decimal
// string that fits in 32 bits and returning 0 for anything else.
func intField(m map[string]json.RawMessage, key string) int {
	var n FlexInt
	if raw, ok := m[key]; !ok || json.Unmarshal(raw, &n) != nil {
		return 0
	}
	if n > 1<<31-1 || n < -1<<31 {
		return 0
	}
	return int(n)
}
