package xtest

import (
	"encoding/json"
	"net/http"
	"strings"
)

// apiError is an error response in both of X's shapes: the v1.1 errors
// array and the v2 problem JSON. The route's path decides which is sent.
type apiError struct {
	status  int
	code    int    // v1.1 error code
	message string // v1.1 message
	title   string // v2 problem title
	detail  string // v2 problem detail
}

var (
	errUnauthorized = apiError{
		status: http.StatusUnauthorized, code: 32, message: "Could not authenticate you.",
		title: "Unauthorized", detail: "Unauthorized",
	}
	errTimestampOutOfBounds = apiError{
		status: http.StatusUnauthorized, code: 135, message: "Timestamp out of bounds.",
		title: "Unauthorized", detail: "Unauthorized",
	}
	errNotFound = apiError{
		status: http.StatusNotFound, code: 34, message: "Sorry, that page does not exist.",
		title: "Not Found", detail: "Not Found",
	}
	// NOTE: X does not document its response to an oversized body, so this
	// status, code and text are the fake's own choice.
	errBodyTooLarge = apiError{
		status: http.StatusRequestEntityTooLarge, code: 413, message: "Request body too large.",
		title: "Payload Too Large", detail: "Request body too large.",
	}
)

type v1Errors struct {
	Errors []v1Error `json:"errors"`
}

type v1Error struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

type problem struct {
	Title  string `json:"title"`
	Type   string `json:"type"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
}

// isV1 reports whether path belongs to the v1.1 API, whose errors use the
// errors array rather than the problem JSON.
func isV1(path string) bool {
	return strings.HasPrefix(path, "/1.1/")
}

// writeError sends e in the shape of the API that r addressed.
func writeError(w http.ResponseWriter, r *http.Request, e apiError) {
	if isV1(r.URL.Path) {
		writeJSON(w, "application/json; charset=utf-8", e.status,
			v1Errors{Errors: []v1Error{{Code: e.code, Message: e.message}}})
		return
	}
	writeJSON(w, "application/problem+json", e.status,
		problem{Title: e.title, Type: "about:blank", Status: e.status, Detail: e.detail})
}

// writeData sends v as a successful JSON response.
func writeData(w http.ResponseWriter, v any) {
	writeJSON(w, "application/json; charset=utf-8", http.StatusOK, v)
}

func writeJSON(w http.ResponseWriter, contentType string, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		// Only the fake's own response types reach here, so this is a bug.
		panic("xtest: encode response: " + err.Error())
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	w.Write(body)
}
