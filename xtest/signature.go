package xtest

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/url"
	"sort"
	"strings"
)

// param is one request parameter, decoded.
type param struct {
	key, value string
}

// signatureBase returns the OAuth 1.0a signature base string (RFC 5849,
// section 3.4.1): the uppercase method, the base string URI and the
// normalized parameters, each percent-encoded and joined by "&". The params
// must not contain oauth_signature or realm.
func signatureBase(method, baseURI string, params []param) string {
	encoded := make([]param, len(params))
	for i, p := range params {
		encoded[i] = param{percentEncode(p.key), percentEncode(p.value)}
	}
	sortParams(encoded)
	pairs := make([]string, len(encoded))
	for i, p := range encoded {
		pairs[i] = p.key + "=" + p.value
	}
	normalized := strings.Join(pairs, "&")
	return strings.ToUpper(method) + "&" + percentEncode(baseURI) + "&" + percentEncode(normalized)
}

// sortParams sorts params by key, then by value, in byte order.
func sortParams(params []param) {
	sort.Slice(params, func(i, j int) bool {
		if params[i].key != params[j].key {
			return params[i].key < params[j].key
		}
		return params[i].value < params[j].value
	})
}

// baseStringURI returns scheme://host[:port]/path as the signature base
// string needs it: scheme and host in lowercase, and the port dropped when
// it is the scheme's default. escapedPath is used as given.
func baseStringURI(scheme, host, escapedPath string) string {
	scheme = strings.ToLower(scheme)
	host = strings.ToLower(host)
	switch {
	case scheme == "http" && strings.HasSuffix(host, ":80"):
		host = strings.TrimSuffix(host, ":80")
	case scheme == "https" && strings.HasSuffix(host, ":443"):
		host = strings.TrimSuffix(host, ":443")
	}
	if escapedPath == "" {
		escapedPath = "/"
	}
	return scheme + "://" + host + escapedPath
}

// signHMACSHA1 returns the base64 HMAC-SHA1 signature of base under the key
// "consumerSecret&tokenSecret", both parts percent-encoded.
func signHMACSHA1(base, consumerSecret, tokenSecret string) []byte {
	key := percentEncode(consumerSecret) + "&" + percentEncode(tokenSecret)
	mac := hmac.New(sha1.New, []byte(key))
	mac.Write([]byte(base))
	return mac.Sum(nil)
}

// signatureMatches reports, in constant time, whether the base64 signature
// sent by the client equals want.
func signatureMatches(sent string, want []byte) bool {
	got, err := base64.StdEncoding.DecodeString(sent)
	if err != nil {
		return false
	}
	return hmac.Equal(got, want)
}

// percentEncode encodes s as RFC 3986 requires for OAuth 1.0a: every byte
// except the unreserved characters A-Z a-z 0-9 - . _ ~ becomes %XX with
// uppercase hex digits.
func percentEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUnreserved(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

func isUnreserved(c byte) bool {
	switch {
	case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		return true
	}
	return c == '-' || c == '.' || c == '_' || c == '~'
}

// appendValues appends every pair of v to params.
func appendValues(params []param, v url.Values) []param {
	for key, values := range v {
		for _, value := range values {
			params = append(params, param{key, value})
		}
	}
	return params
}
