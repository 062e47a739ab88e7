package xtest

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

var errNotOAuth = errors.New("xtest: authorization scheme is not OAuth")

// parseAuthorization parses an "Authorization: OAuth ..." header value as
// RFC 5849, section 3.5.1 defines it: the scheme name in any case, then
// comma-separated name="value" pairs whose names and values are
// percent-encoded. It returns the decoded pairs, realm included. It returns
// errNotOAuth for another scheme, and an error for a malformed list, an
// invalid percent-encoding or a name that occurs twice.
func parseAuthorization(header string) (map[string]string, error) {
	scheme, rest, _ := strings.Cut(strings.TrimLeft(header, " \t"), " ")
	if !strings.EqualFold(scheme, "OAuth") {
		return nil, errNotOAuth
	}
	params := make(map[string]string)
	for {
		rest = strings.TrimLeft(rest, " \t")
		if rest == "" {
			return params, nil
		}
		var key, value string
		var err error
		key, value, rest, err = nextAuthParam(rest)
		if err != nil {
			return nil, err
		}
		if _, dup := params[key]; dup {
			return nil, fmt.Errorf("xtest: authorization parameter %q occurs twice", key)
		}
		params[key] = value
	}
}

// nextAuthParam reads one name="value" pair and the comma after it from s,
// which starts at the name, and returns the decoded pair and the rest.
func nextAuthParam(s string) (key, value, rest string, err error) {
	rawKey, s, ok := strings.Cut(s, "=")
	if !ok || rawKey == "" || strings.ContainsAny(rawKey, " \t,\"") {
		return "", "", "", errors.New("xtest: authorization parameter without a name=\"value\" form")
	}
	if !strings.HasPrefix(s, `"`) {
		return "", "", "", fmt.Errorf("xtest: authorization parameter %q has an unquoted value", rawKey)
	}
	rawValue, s, ok := strings.Cut(s[1:], `"`)
	if !ok {
		return "", "", "", fmt.Errorf("xtest: authorization parameter %q has no closing quote", rawKey)
	}
	s = strings.TrimLeft(s, " \t")
	if s != "" && s[0] != ',' {
		return "", "", "", fmt.Errorf("xtest: authorization parameter %q is not followed by a comma", rawKey)
	}
	if s != "" {
		s = s[1:]
	}
	if key, err = url.PathUnescape(rawKey); err != nil {
		return "", "", "", fmt.Errorf("xtest: authorization parameter name: %w", err)
	}
	if value, err = url.PathUnescape(rawValue); err != nil {
		return "", "", "", fmt.Errorf("xtest: authorization parameter %q: %w", key, err)
	}
	return key, value, s, nil
}

// formatAuthorization renders params as an OAuth Authorization header value
// with sorted names. It is the inverse of parseAuthorization.
func formatAuthorization(params map[string]string) string {
	pairs := make([]param, 0, len(params))
	for k, v := range params {
		pairs = append(pairs, param{k, v})
	}
	sortParams(pairs)
	var b strings.Builder
	b.WriteString("OAuth ")
	for i, p := range pairs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(percentEncode(p.key) + `="` + percentEncode(p.value) + `"`)
	}
	return b.String()
}
