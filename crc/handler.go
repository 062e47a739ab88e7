package crc

import (
	"crypto/hmac"
	"crypto/sha256"
	"hash"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// Handler serves CRC requests. It signs the crc_token query parameter of a
// GET or HEAD request with ConsumerSecret and ignores every other parameter
// (older X endpoints add a nonce).
//
// It responds 400 with an empty body when the token is missing or fails
// ValidToken, and 405 for other methods. It does no I/O besides writing the
// answer, so it meets X's time limit even when the rest of the service is
// overloaded.
//
// A Handler is safe for concurrent use. It must not be copied, and
// ConsumerSecret must not change, after first use, because the handler keeps
// an HMAC state keyed with it for reuse. An empty ConsumerSecret is a
// configuration error: the handler then answers 500 rather than sign with an
// empty key.
type Handler struct {
	// ConsumerSecret is the app's consumer secret (API key secret).
	ConsumerSecret string

	mu  sync.Mutex
	mac hash.Hash // keyed with ConsumerSecret, created on first use
}

// ServeHTTP serves one CRC request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	if h.ConsumerSecret == "" {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	token, ok := Token(r)
	if !ok {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	// CRC requests are rare, so one HMAC state behind a mutex serves them
	// without allocating a new one per request.
	h.mu.Lock()
	if h.mac == nil {
		h.mac = hmac.New(sha256.New, []byte(h.ConsumerSecret))
	}
	h.mac.Reset()
	body := appendBody(h.mac, token)
	h.mu.Unlock()
	writeBody(w, body)
}

// Token returns the request's crc_token query parameter and whether it is
// present exactly once and passes ValidToken. Other parameters are ignored.
// It allocates only when the token is percent-encoded.
func Token(r *http.Request) (string, bool) {
	token, found := "", false
	query := r.URL.RawQuery
	for query != "" {
		var pair string
		pair, query, _ = strings.Cut(query, "&")
		key, value, _ := strings.Cut(pair, "=")
		if key != "crc_token" {
			if !strings.Contains(key, "%") {
				continue
			}
			if k, err := url.QueryUnescape(key); err != nil || k != "crc_token" {
				continue
			}
		}
		if found {
			return "", false // a repeated token is ambiguous
		}
		found = true
		if strings.ContainsAny(value, "%+") {
			v, err := url.QueryUnescape(value)
			if err != nil {
				return "", false
			}
			value = v
		}
		token = value
	}
	return token, found && ValidToken(token)
}

// WriteResponse writes the 200 response to a CRC request for token, which the
// caller must have checked with ValidToken.
func WriteResponse(w http.ResponseWriter, consumerSecret, token string) {
	writeBody(w, appendBody(hmac.New(sha256.New, []byte(consumerSecret)), token))
}

// appendBody returns the JSON answer for token computed with mac, a freshly
// reset HMAC-SHA256 keyed with the consumer secret.
func appendBody(mac hash.Hash, token string) []byte {
	const head, tail = `{"response_token":"`, `"}`
	body := make([]byte, 0, len(head)+max(tokenLen, len(token))+len(tail))
	body = append(body, head...)
	body = appendMAC(body, mac, token)
	return append(body, tail...)
}

func writeBody(w http.ResponseWriter, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}
