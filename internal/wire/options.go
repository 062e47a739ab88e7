package wire

import (
	"errors"
	"fmt"
	"net/url"
)

// ParseBaseURL checks an API base URL for a client option: absolute http
// or https, with a host, and without user information, query or fragment.
// Errors carry no package prefix; the caller adds its own.
func ParseBaseURL(rawURL string) (*url.URL, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("invalid base URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("base URL %q must be an absolute http or https URL", rawURL)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return nil, errors.New("base URL must not contain user information, a query or a fragment")
	}
	return u, nil
}

// CheckUserAgent checks a User-Agent value for a client option: non-empty
// printable ASCII, so it cannot inject header lines.
func CheckUserAgent(userAgent string) error {
	if userAgent == "" {
		return errors.New("user agent is empty")
	}
	for i := 0; i < len(userAgent); i++ {
		if c := userAgent[i]; c < ' ' || c > '~' {
			return fmt.Errorf("user agent contains byte %#x; use printable ASCII", c)
		}
	}
	return nil
}

// CheckMaxBody checks a response size limit for a client option.
func CheckMaxBody(n int64) error {
	if n <= 0 {
		return fmt.Errorf("max response bytes %d must be positive", n)
	}
	return nil
}
