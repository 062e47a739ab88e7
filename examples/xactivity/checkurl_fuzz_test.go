package main

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// responseCheckIDs are the checks that diagnoseResponse may report.
var responseCheckIDs = map[string]bool{
	"redirect": true, "wrong-path": true, "http-status": true, "content-type": true,
	"not-json": true, "no-response-token": true, "hex-digest": true, "missing-prefix": true,
	"wrong-encoding": true, "wrong-secret": true,
}

// maxFindingBytes bounds the message and the fix of one finding. The
// longest fixed texts are under 400 bytes, and a finding quotes at most
// two values of maxQuotedBytes from the endpoint.
const maxFindingBytes = 600

// FuzzDiagnoseResponse feeds diagnoseResponse the status, Content-Type,
// Location and body of an endpoint that check-url does not trust. It
// checks that the diagnosis does not panic, reports only known checks
// with bounded, valid UTF-8 texts, and finds no problem in the one
// correct response.
func FuzzDiagnoseResponse(f *testing.F) {
	const token = "fuzz-crc-token"
	good := `{"response_token":"sha256=` + base64.StdEncoding.EncodeToString(hmacSHA256(testSecret, token)) + `"}`
	f.Add(200, "application/json", "", good)
	f.Add(200, "application/json; charset=utf-8", "", `{"response_token":"`+base64.StdEncoding.EncodeToString(hmacSHA256(testSecret, token))+`"}`)
	f.Add(200, "text/plain", "", `{"Response_Token":"sha256=abc"}`)
	f.Add(200, "application/json", "", `{"response_token":7}`)
	f.Add(200, "", "", "<html>hello</html>")
	f.Add(200, "application/json", "", `{"response_token":"sha256=`+strings.Repeat("A", 300)+`"}`)
	f.Add(301, "", "https://example.com/"+strings.Repeat("x", 500), "")
	f.Add(302, "", "::not a url", "")
	f.Add(404, "text/html", "", "not found")
	f.Add(503, "application/json", "", "")
	f.Add(200, strings.Repeat("a/b;", 100), "", `{"response`+strings.Repeat("_", 400)+`token":"x"}`)

	target, err := url.Parse("https://example.com/webhooks/twitter")
	if err != nil {
		f.Fatal(err)
	}
	lookalikes := []lookalike{{name: "TWITTER__API_KEY", why: "the consumer key", value: "consumer-key"}}

	f.Fuzz(func(t *testing.T, status int, contentType, location, body string) {
		status = 100 + ((status-100)%900+900)%900 // an HTTP client sees 100 to 999
		resp := &crcResponse{
			status:   status,
			header:   http.Header{"Content-Type": {contentType}, "Location": {location}},
			body:     []byte(body[:min(len(body), maxCRCBodyBytes)]),
			tooLarge: len(body) > maxCRCBodyBytes,
		}
		d := diagnoseResponse(resp, target, testSecret, token, lookalikes)

		for _, fd := range d.findings {
			if !responseCheckIDs[fd.Check] {
				t.Errorf("unknown check %q", fd.Check)
			}
			if fd.Severity != severityFailure {
				t.Errorf("%s: severity %q, want %q", fd.Check, fd.Severity, severityFailure)
			}
			for name, text := range map[string]string{"message": fd.Message, "fix": fd.Fix} {
				if text == "" || len(text) > maxFindingBytes || !utf8.ValidString(text) {
					t.Errorf("%s: %s of %d bytes (valid UTF-8: %t), want 1 to %d bytes of UTF-8",
						fd.Check, name, len(text), utf8.ValidString(text), maxFindingBytes)
				}
			}
		}
		if len(d.findings) > 2 {
			t.Errorf("%d findings, want at most 2: the status, or the Content-Type and the body", len(d.findings))
		}
		if status == http.StatusOK && contentType == "application/json" && body == good && len(d.findings) != 0 {
			t.Errorf("findings %+v for the correct response", d.findings)
		}
	})
}
