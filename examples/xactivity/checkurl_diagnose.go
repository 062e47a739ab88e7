package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"unicode/utf8"
)

// maxQuotedBytes bounds a value from the endpoint, such as a header or a
// JSON member name, that a finding quotes, so that a broken or hostile
// endpoint cannot flood the report.
const maxQuotedBytes = 100

// truncateUntrusted returns s with invalid UTF-8 replaced by U+FFFD, cut to
// at most maxQuotedBytes at a UTF-8 boundary, followed by "..." when it
// was cut.
func truncateUntrusted(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= maxQuotedBytes {
		return s
	}
	cut := maxQuotedBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// fixTLS is the fix of every TLS failure.
const fixTLS = "serve a certificate for this host name from a public certificate authority (such as Let's Encrypt) with its full chain, over TLS 1.2 or later; X marks a webhook invalid at once after a TLS error"

// urlProblem returns the reason, from the error of CheckWebhookURL, why X
// rejects the URL. It quotes the URL with the password, if any, replaced.
func urlProblem(err error, raw string, target *url.URL) string {
	if target.User != nil {
		return "webhook URL must not contain user information"
	}
	msg := strings.TrimPrefix(err.Error(), "accountactivity: ")
	return strings.ReplaceAll(msg, strconv.Quote(raw), strconv.Quote(target.Redacted()))
}

// urlRejected is the finding for a URL that X rejects for the reason
// problem.
func urlRejected(problem string) finding {
	return finding{
		Check:    "url-rejected",
		Severity: severityFailure,
		Message:  problem + "; X rejects such a URL when it is registered, so check-url ran the CRC round trip only to diagnose the endpoint",
		Fix:      "register an https URL on the default port 443, with a host name and no user information or fragment, of at most 200 bytes",
	}
}

// diagnoseTransportError explains a CRC request that got no response in
// time.
func diagnoseTransportError(err error, target *url.URL, limit timeLimit) finding {
	host := target.Host
	var dnsErr *net.DNSError
	switch {
	case isTimeout(err):
		rule := "X fails a CRC check that takes longer"
		if limit.fromFlag {
			rule = fmt.Sprintf("X's own limit is %s on v2 and %s on v1.1", crcTimeLimitV2, crcTimeLimitV11)
		}
		return finding{
			Check:    "timeout",
			Severity: severityFailure,
			Message:  fmt.Sprintf("no complete response within %s; %s", limit, rule),
			Fix:      "answer the CRC without I/O (no database, no network calls), and check that the server is not overloaded and that no firewall drops packets silently",
		}
	case tlsProblem(err) != "":
		return finding{Check: "tls", Severity: severityFailure, Message: tlsProblem(err), Fix: fixTLS}
	case errors.Is(err, syscall.ECONNREFUSED):
		return finding{
			Check:    "connection-refused",
			Severity: severityFailure,
			Message:  fmt.Sprintf("the connection to %s was refused: nothing listens on that address and port", host),
			Fix:      "start the service, check the port, make it listen on a public interface rather than only 127.0.0.1, and check that the proxy or load balancer in front of it forwards to it",
		}
	case errors.As(err, &dnsErr):
		return finding{
			Check:    "host-unreachable",
			Severity: severityFailure,
			Message:  fmt.Sprintf("host %s was not found: %s", dnsErr.Name, dnsErr.Err),
			Fix:      "check the host name and its public DNS records; X resolves the name from the internet",
		}
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return finding{
			Check:    "host-unreachable",
			Severity: severityFailure,
			Message:  fmt.Sprintf("%s is unreachable: no route to the host", host),
			Fix:      "check that the host is up and that its address is reachable from the internet, not only from a private network",
		}
	}
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		err = urlErr.Err // the url.Error repeats the whole URL
	}
	return finding{
		Check:    "request-failed",
		Severity: severityFailure,
		Message:  fmt.Sprintf("the CRC request failed: %v", err),
		Fix:      "check that the URL is reachable from the internet with GET",
	}
}

func isTimeout(err error) bool {
	var netErr net.Error
	return errors.Is(err, errLateResponse) || errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout())
}

// tlsProblem describes a TLS failure, or returns "" when err is not one.
func tlsProblem(err error) string {
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verification *tls.CertificateVerificationError
	var alert tls.AlertError
	var record tls.RecordHeaderError
	switch {
	case errors.As(err, &unknownCA):
		return "TLS failed: the certificate is not signed by an authority that X trusts; it is self-signed, or the server does not send the intermediate certificates"
	case errors.As(err, &hostname):
		return fmt.Sprintf("TLS failed: the certificate is not valid for the host name: %v", hostname.Error())
	case errors.As(err, &invalid):
		return fmt.Sprintf("TLS failed: the certificate is invalid: %v", invalid.Error())
	case errors.Is(err, http.ErrSchemeMismatch):
		return "TLS failed: the server answered plain HTTP on an https URL"
	case errors.As(err, &verification):
		return fmt.Sprintf("TLS failed: the certificate could not be verified: %v", verification.Err)
	case errors.As(err, &alert):
		return fmt.Sprintf("TLS failed: the server ended the handshake: %v", alert.Error())
	case errors.As(err, &record):
		return "TLS failed: the server's response is not TLS"
	}
	return ""
}

// responseDiagnosis is the result of diagnoseResponse: its findings and
// the response token that the endpoint sent.
type responseDiagnosis struct {
	findings []finding
	// responseToken is the response_token string that the endpoint sent,
	// or "" when it sent none.
	responseToken string
}

// diagnoseResponse checks a CRC response as X does: status 200, Content-Type
// application/json and {"response_token": "sha256=<base64>"} with the
// HMAC-SHA256 of token under secret.
func diagnoseResponse(resp *crcResponse, target *url.URL, secret, token string, lookalikes []lookalike) responseDiagnosis {
	var d responseDiagnosis
	if f, ok := diagnoseStatus(resp, target); ok {
		d.findings = append(d.findings, f)
		return d
	}
	if f, ok := diagnoseContentType(resp.header.Get("Content-Type")); ok {
		d.findings = append(d.findings, f)
	}
	value, f, ok := responseTokenOf(resp, secret, token)
	if !ok {
		d.findings = append(d.findings, f)
		return d
	}
	d.responseToken = value
	if f, ok := diagnoseResponseToken(value, secret, token, lookalikes); ok {
		d.findings = append(d.findings, f)
	}
	return d
}

// diagnoseStatus reports a status other than 200.
func diagnoseStatus(resp *crcResponse, target *url.URL) (finding, bool) {
	status := fmt.Sprintf("%d %s", resp.status, http.StatusText(resp.status))
	switch {
	case resp.status == http.StatusOK:
		return finding{}, false
	case resp.status >= 300 && resp.status < 400:
		location := resp.header.Get("Location")
		msg := fmt.Sprintf("the URL redirects with %s and no Location header; X does not follow redirects and marks the webhook invalid", status)
		fix := "serve the CRC at this URL directly"
		if loc, err := target.Parse(location); location != "" && err == nil {
			shown := truncateUntrusted(loc.Redacted())
			msg = fmt.Sprintf("the URL redirects with %s to %s; X does not follow redirects and marks the webhook invalid", status, shown)
			fix = fmt.Sprintf("register %s instead, or serve the CRC at this URL without a redirect (an http to https redirect or a trailing-slash redirect are common causes)", shown)
		}
		return finding{Check: "redirect", Severity: severityFailure, Message: msg, Fix: fix}, true
	case resp.status == http.StatusNotFound:
		return finding{
			Check:    "wrong-path",
			Severity: severityFailure,
			Message:  fmt.Sprintf("GET on this path returned %s: nothing serves the webhook here", status),
			Fix:      "register the path that the webhook handler is mounted at (mktx-service serves /api/v1/mkt-x/webhooks/twitter), or mount the handler at this path",
		}, true
	case resp.status == http.StatusMethodNotAllowed:
		return finding{
			Check:    "wrong-path",
			Severity: severityFailure,
			Message:  fmt.Sprintf("GET on this path returned %s: the path exists but does not take GET, and the CRC is a GET", status),
			Fix:      "register the webhook handler's path, or route GET requests with crc_token on this path to the CRC handler",
		}, true
	}
	fix := "check the endpoint's logs for this request; X retries a CRC that fails with 4xx or 5xx, but marks the webhook invalid after 28 hours without a pass"
	switch {
	case resp.status == http.StatusBadRequest:
		fix = "the endpoint rejected the crc_token: it must accept tokens of up to 256 characters of A-Z a-z 0-9 + / = _ . - such as the one sent"
	case resp.status == http.StatusUnauthorized || resp.status == http.StatusForbidden:
		fix = "let the CRC through without authentication: X's CRC GET carries no credentials and no signature"
	case resp.status >= 500:
		fix = "check the endpoint's logs; a CRC handler that has no consumer secret configured fails this way"
	}
	return finding{
		Check:    "http-status",
		Severity: severityFailure,
		Message:  fmt.Sprintf("the CRC request returned %s; X requires 200 OK", status),
		Fix:      fix,
	}, true
}

func diagnoseContentType(contentType string) (finding, bool) {
	mediaType, _, err := mime.ParseMediaType(contentType)
	if err == nil && mediaType == "application/json" {
		return finding{}, false
	}
	msg := fmt.Sprintf("the response's Content-Type is %q; X requires application/json", truncateUntrusted(contentType))
	if contentType == "" {
		msg = "the response has no Content-Type; X requires application/json"
	}
	return finding{
		Check:    "content-type",
		Severity: severityFailure,
		Message:  msg,
		Fix:      "set the header Content-Type: application/json on the CRC response",
	}, true
}

// responseTokenOf returns the response_token string of a response body, or
// the finding that explains why there is none.
func responseTokenOf(resp *crcResponse, secret, token string) (string, finding, bool) {
	notJSON := func(msg string) (string, finding, bool) {
		return "", finding{
			Check:    "not-json",
			Severity: severityFailure,
			Message:  msg,
			Fix:      `respond with the JSON object {"response_token": "sha256=<base64>"}`,
		}, false
	}
	if resp.tooLarge {
		return notJSON(fmt.Sprintf("the body is larger than %d bytes; a CRC response is a small JSON object", maxCRCBodyBytes))
	}
	body := bytes.TrimSpace(resp.body)
	var object map[string]json.RawMessage
	if err := json.Unmarshal(body, &object); err != nil || object == nil {
		want := hmacSHA256(secret, token)
		switch {
		case len(body) == 0:
			return notJSON("the body is empty")
		case containsDigest(body, want):
			return notJSON("the body is the response token alone, not a JSON object")
		case body[0] == '<':
			return notJSON("the body is HTML or XML, not a JSON object")
		}
		return notJSON(fmt.Sprintf("the body (%d bytes) is not a JSON object", len(body)))
	}
	raw, found := object["response_token"]
	if !found {
		msg := "the JSON object has no response_token member"
		for name := range object {
			if strings.ReplaceAll(strings.ToLower(name), "_", "") == "responsetoken" {
				msg = fmt.Sprintf("the JSON object names the member %q; X reads exactly response_token", truncateUntrusted(name))
			}
		}
		return "", finding{
			Check:    "no-response-token",
			Severity: severityFailure,
			Message:  msg,
			Fix:      `respond with the JSON object {"response_token": "sha256=<base64>"}`,
		}, false
	}
	var value string
	if err := json.Unmarshal(raw, &value); err != nil {
		return "", finding{
			Check:    "no-response-token",
			Severity: severityFailure,
			Message:  "response_token is not a JSON string",
			Fix:      `send response_token as a string: "sha256=" followed by the base64 digest`,
		}, false
	}
	return value, finding{}, true
}

// diagnoseResponseToken compares a response_token with the HMAC-SHA256 of
// token under secret, in constant time, and names the mistake when they
// differ.
func diagnoseResponseToken(value, secret, token string, lookalikes []lookalike) (finding, bool) {
	want := hmacSHA256(secret, token)
	if hmac.Equal([]byte(value), []byte("sha256="+base64.StdEncoding.EncodeToString(want))) {
		return finding{}, false
	}
	digest, hasPrefix := strings.CutPrefix(value, "sha256=")
	prefixNote := ""
	if !hasPrefix {
		prefixNote = `, and the "sha256=" prefix is missing`
	}
	fixFormat := `send "sha256=" followed by the padded standard base64 encoding of the 32-byte HMAC-SHA256 digest`
	switch {
	case hexDigestEqual(digest, want):
		return finding{
			Check:    "hex-digest",
			Severity: severityFailure,
			Message:  "response_token carries the right digest in hexadecimal; X expects base64" + prefixNote,
			Fix:      fixFormat,
		}, true
	case !hasPrefix && hmac.Equal([]byte(digest), []byte(base64.StdEncoding.EncodeToString(want))):
		return finding{
			Check:    "missing-prefix",
			Severity: severityFailure,
			Message:  `response_token is the right base64 digest without the "sha256=" prefix`,
			Fix:      fixFormat,
		}, true
	}
	if encoding := otherBase64(digest, want); encoding != "" {
		return finding{
			Check:    "wrong-encoding",
			Severity: severityFailure,
			Message:  fmt.Sprintf("response_token carries the right digest in %s; X expects padded standard base64%s", encoding, prefixNote),
			Fix:      fixFormat,
		}, true
	}
	for _, l := range lookalikes {
		mac := hmacSHA256(l.value, token)
		if hmac.Equal([]byte(digest), []byte(base64.StdEncoding.EncodeToString(mac))) || hexDigestEqual(digest, mac) {
			return wrongSecret(l, prefixNote), true
		}
	}
	if !hasPrefix {
		return finding{
			Check:    "missing-prefix",
			Severity: severityFailure,
			Message:  `response_token does not start with "sha256=", and the rest is not the digest of the token under the consumer secret`,
			Fix:      fixFormat + ", keyed with the app's consumer secret",
		}, true
	}
	return finding{
		Check:    "wrong-secret",
		Severity: severityFailure,
		Message:  "response_token is not the HMAC-SHA256 of the token under the consumer secret: the endpoint signs with another key",
		Fix:      "configure the endpoint with the app's API key secret (consumer secret) from the X developer portal; if it has that secret, check that --secret or TWITTER__API_KEY_SECRET here belongs to the same app",
	}, true
}

// diagnoseOracle reports an endpoint that signed the JSON body sent as
// crc_token. firstToken is the response_token of the first response, so
// that an endpoint that returns a fixed value is not reported.
func diagnoseOracle(resp *crcResponse, secret, firstToken string) (finding, bool) {
	if resp.status != http.StatusOK {
		return finding{}, false
	}
	oracle := finding{
		Check:    "signing-oracle",
		Severity: severityFailure,
		Fix:      "reject a crc_token outside A-Z a-z 0-9 + / = _ . - or longer than 256 bytes with 400 and no token, as crc.ValidToken and crc.Handler do",
	}
	if containsDigest(resp.body, hmacSHA256(secret, oracleToken)) {
		oracle.Message = "security: the endpoint signed a JSON body sent as crc_token with the consumer secret; anyone can use it to obtain a valid x-twitter-webhooks-signature for a forged delivery"
		return oracle, true
	}
	var object struct {
		ResponseToken string `json:"response_token"`
	}
	if json.Unmarshal(resp.body, &object) == nil && object.ResponseToken != "" && object.ResponseToken != firstToken {
		oracle.Message = "security: the endpoint signed a JSON body sent as crc_token; with the right secret anyone could use it to obtain a valid x-twitter-webhooks-signature for a forged delivery"
		return oracle, true
	}
	return finding{}, false
}

// wrongSecret is the finding for a response_token signed with the value
// of the lookalike l. prefixNote is appended to the message.
func wrongSecret(l lookalike, prefixNote string) finding {
	if l.name == "TWITTER__API_KEY_SECRET" {
		// That variable is the consumer secret, so it is the --secret
		// value that differs from it.
		return finding{
			Check:    "wrong-secret",
			Severity: severityFailure,
			Message:  "response_token is signed with TWITTER__API_KEY_SECRET, not with the --secret value; one of them is wrong" + prefixNote,
			Fix:      l.why,
		}
	}
	return finding{
		Check:    "wrong-secret",
		Severity: severityFailure,
		Message:  fmt.Sprintf("response_token is signed with the value of %s instead of the consumer secret%s", l.name, prefixNote),
		Fix:      "configure the endpoint with the app's API key secret (consumer secret), the value that mktx-service reads from TWITTER__API_KEY_SECRET; " + l.why,
	}
}

// lookalike is a credential from the environment that an endpoint may use
// by mistake in place of the consumer secret.
type lookalike struct {
	name  string // the environment variable
	why   string // the explanation of the mistake, for the fix
	value string
}

// secretLookalikes returns the credentials set in the environment that
// differ from secret.
func (e env) secretLookalikes(secret string) []lookalike {
	candidates := []lookalike{
		{name: "TWITTER__API_KEY", why: "TWITTER__API_KEY is the consumer key, the public half of the pair"},
		{name: "TWITTER__BEARER_TOKEN", why: "the bearer token authenticates app-only API calls and never signs"},
		{name: "TWITTER__ACCESS_TOKEN", why: "the access token identifies a user and never signs CRC responses"},
		{name: "TWITTER__ACCESS_TOKEN_SECRET", why: "the access token secret signs a user's API requests, not CRC responses"},
		{name: "TWITTER__PREVIOUS_API_KEY_SECRET", why: "the endpoint still uses the previous consumer secret; restart it with the current one"},
		{name: "TWITTER__API_KEY_SECRET", why: "compare both with the app's API key secret (consumer secret) in the X developer portal, then correct --secret or the endpoint's configuration"},
	}
	var out []lookalike
	for _, c := range candidates {
		if c.value = e.getenv(c.name); c.value != "" && c.value != secret {
			out = append(out, c)
		}
	}
	return out
}

func hmacSHA256(key, message string) []byte {
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(message))
	return mac.Sum(nil)
}

// hexDigestEqual reports whether s is digest in hexadecimal, in either case.
func hexDigestEqual(s string, digest []byte) bool {
	got, err := hex.DecodeString(s)
	return err == nil && hmac.Equal(got, digest)
}

// otherBase64 returns the name of the base64 variant other than padded
// standard base64 that encodes digest as s, or "".
func otherBase64(s string, digest []byte) string {
	for _, v := range []struct {
		name string
		enc  *base64.Encoding
	}{
		{"unpadded standard base64", base64.RawStdEncoding},
		{"URL-safe base64", base64.URLEncoding},
		{"unpadded URL-safe base64", base64.RawURLEncoding},
	} {
		if hmac.Equal([]byte(s), []byte(v.enc.EncodeToString(digest))) {
			return v.name
		}
	}
	return ""
}

// containsDigest reports whether body contains digest in base64 or
// hexadecimal.
func containsDigest(body, digest []byte) bool {
	return bytes.Contains(body, []byte(base64.StdEncoding.EncodeToString(digest))) ||
		bytes.Contains(bytes.ToLower(body), []byte(hex.EncodeToString(digest)))
}
