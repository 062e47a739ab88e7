package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// apiBase is the path prefix of every service route except the health and
// metrics routes.
const apiBase = "/api/v1/mkt-x"

// List limits: the default page size, and the largest one served.
const (
	defaultLimit = 50
	maxLimit     = 200
)

// maxRequestBytes bounds the JSON bodies of API requests.
const maxRequestBytes = 1 << 20

type successBody struct {
	Success    bool   `json:"success"`
	Data       any    `json:"data"`
	NextCursor string `json:"nextCursor,omitempty"`
}

type errorBody struct {
	Success bool        `json:"success"`
	Error   errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeData(w http.ResponseWriter, status int, data any) {
	writeJSON(w, status, successBody{Success: true, Data: data})
}

func writeList(w http.ResponseWriter, data any, nextCursor string) {
	writeJSON(w, http.StatusOK, successBody{Success: true, Data: data, NextCursor: nextCursor})
}

// writeError writes the service's error body. Every 413 response reports
// a body over a size limit, so its code is payload_too_large, as on the
// webhook route, whatever code the caller passes.
func writeError(w http.ResponseWriter, status int, code, message string) {
	if status == http.StatusRequestEntityTooLarge {
		code = "payload_too_large"
	}
	writeJSON(w, status, errorBody{Error: errorDetail{Code: code, Message: message}})
}

// formatTime renders t as RFC 3339 in UTC with exactly three fractional
// digits, the service's single time format.
func formatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

// timeJSON marshals as formatTime.
type timeJSON time.Time

func (t timeJSON) MarshalJSON() ([]byte, error) {
	return []byte(`"` + formatTime(time.Time(t)) + `"`), nil
}

// UnmarshalJSON parses an RFC 3339 time, so API clients in Go (the tests
// among them) can decode the service's responses.
func (t *timeJSON) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	parsed, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return err
	}
	*t = timeJSON(parsed)
	return nil
}

// parseLimit reads the limit query parameter: default 50, capped at 200,
// anything not a positive whole number rejected.
func parseLimit(r *http.Request) (int, error) {
	raw := r.URL.Query().Get("limit")
	if raw == "" {
		return defaultLimit, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("limit must be a positive whole number, got %q", raw)
	}
	return min(n, maxLimit), nil
}

// decodeJSON decodes a bounded JSON request body into v, rejecting unknown
// trailing data. It returns 413 for a body over maxRequestBytes, which
// writeError sends with the code payload_too_large, and 400 otherwise.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) (status int, err error) {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxRequestBytes))
	if err := dec.Decode(v); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return http.StatusRequestEntityTooLarge, fmt.Errorf("request body is larger than %d bytes", maxRequestBytes)
		}
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			return http.StatusBadRequest, fmt.Errorf("request body field %q has the wrong type", typeErr.Field)
		}
		return http.StatusBadRequest, errors.New("request body is not a valid JSON object of the expected shape")
	}
	if _, err := dec.Token(); err != io.EOF {
		return http.StatusBadRequest, errors.New("request body has data after the JSON object")
	}
	return 0, nil
}

// methods routes one path by method and responds to other methods with 405
// and an Allow header.
type methods map[string]http.Handler

func (m methods) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h, ok := m[r.Method]; ok {
		h.ServeHTTP(w, r)
		return
	}
	if h, ok := m[http.MethodGet]; ok && r.Method == http.MethodHead {
		h.ServeHTTP(w, r)
		return
	}
	allowed := make([]string, 0, len(m))
	for method := range m {
		allowed = append(allowed, method)
	}
	sort.Strings(allowed)
	w.Header().Set("Allow", strings.Join(allowed, ", "))
	writeError(w, http.StatusMethodNotAllowed, "method_not_allowed",
		fmt.Sprintf("%s is not allowed on %s; use %s", r.Method, r.URL.Path, strings.Join(allowed, ", ")))
}

func (s *server) notFound(w http.ResponseWriter, r *http.Request) {
	s.rejectRequest(w, r, http.StatusNotFound, "not_found", "no route for "+r.URL.Path)
}
