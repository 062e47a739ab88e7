package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/goodgo/xactivity/accountactivity"
)

// CRC time limits: X fails a CRC check that gets no response within them.
const (
	crcTimeLimitV2  = 10 * time.Second
	crcTimeLimitV11 = 3 * time.Second
)

// maxCRCBodyBytes bounds the response body that check-url reads. A CRC
// response is about 60 bytes.
const maxCRCBodyBytes = 64 << 10

// oracleToken is the crc_token of the second request: a JSON body, which
// an endpoint must reject rather than sign.
const oracleToken = `{"a":1}`

// Severities of a finding. Only failures make check-url exit non-zero.
const (
	severityFailure = "failure"
	severityWarning = "warning"
)

// finding is one problem that check-url found.
type finding struct {
	// Check is a stable identifier of the problem, such as "wrong-secret".
	Check    string `json:"check"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
	Fix      string `json:"fix"`
}

// checkReport is the result of check-url.
type checkReport struct {
	// URL is the checked URL, with any password replaced by "xxxxx".
	URL string `json:"url"`
	// OK is true when no finding is a failure.
	OK bool `json:"ok"`
	// StatusCode and ContentType describe the response to the CRC request,
	// and are absent when none arrived. ContentType is cut as
	// truncateUntrusted cuts it.
	StatusCode  int    `json:"statusCode,omitempty"`
	ContentType string `json:"contentType,omitempty"`
	// LatencyMS is the time from sending the CRC request to reading the
	// whole response, in milliseconds, and absent when none arrived.
	LatencyMS   *int64 `json:"latencyMs,omitempty"`
	TimeLimitMS int64  `json:"timeLimitMs"`
	// OracleStatusCode is the status of the response to the second
	// request, whose crc_token is a JSON body, and absent when none arrived.
	OracleStatusCode int       `json:"oracleStatusCode,omitempty"`
	Findings         []finding `json:"findings"`
}

func (r *checkReport) add(f finding) { r.Findings = append(r.Findings, f) }

func (r *checkReport) failures() int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity == severityFailure {
			n++
		}
	}
	return n
}

// crcTimeLimit returns X's CRC time limit for the API generation that
// TWITTER__API_VERSION names: v1.1 for "1.1-enterprise" and "1.1-premium",
// v2 otherwise.
func (e env) crcTimeLimit() time.Duration {
	if strings.HasPrefix(e.getenv("TWITTER__API_VERSION"), "1.1") {
		return crcTimeLimitV11
	}
	return crcTimeLimitV2
}

// checkURL runs X's CRC check against a URL before it is registered and
// prints what is wrong with the response and how to fix it.
func (e env) checkURL(ctx context.Context, args []string) error {
	const name = "check-url"
	fs, out := e.newCommand(name)
	secretFlag := e.secretFlag(fs)
	limit := fs.Duration("timeout", e.crcTimeLimit(),
		"time limit of the CRC response (default: X's limit, 10s, or 3s when TWITTER__API_VERSION is 1.1-*)")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return out.fail(err)
	}
	if len(rest) != 1 {
		return out.fail(errors.New("check-url: give exactly one URL"))
	}
	if *limit <= 0 {
		return out.fail(errors.New("check-url: --timeout must be positive"))
	}
	target, err := url.Parse(rest[0])
	if err != nil || (target.Scheme != "http" && target.Scheme != "https") || target.Host == "" {
		// The parser's error is not shown because it quotes the URL, which
		// may contain a password.
		return out.fail(errors.New("check-url: URL must be an absolute http or https URL, such as https://example.com/webhooks/twitter"))
	}
	secret, err := e.secret(*secretFlag)
	if err != nil {
		return out.fail(fmt.Errorf("%s: %w", name, err))
	}

	report := e.runCRCCheck(ctx, rest[0], target, secret, *limit)
	report.OK = report.failures() == 0
	if err := out.print(report, func(w io.Writer) { printCheckReport(w, report) }); err != nil {
		return err
	}
	if n := report.failures(); n > 0 {
		return fmt.Errorf("check-url: %s found; X's CRC check of this URL would fail", countFailures(n))
	}
	return nil
}

// runCRCCheck sends the CRC request, diagnoses the response, then sends a
// JSON body as crc_token to find an endpoint that signs anything.
func (e env) runCRCCheck(ctx context.Context, raw string, target *url.URL, secret string, limit time.Duration) *checkReport {
	report := &checkReport{URL: target.Redacted(), TimeLimitMS: limit.Milliseconds(), Findings: []finding{}}
	if err := accountactivity.CheckWebhookURL(raw); err != nil {
		report.add(urlRejected(err, raw, target))
	}
	client := &http.Client{
		Transport: e.roundTripper(),
		Timeout:   limit,
		// X does not follow redirects, and neither does its check.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}

	token := newCRCToken()
	start := time.Now()
	resp, err := getCRC(ctx, client, target, token)
	if err != nil {
		report.add(diagnoseTransportError(err, target, limit))
		return report
	}
	latency := time.Since(start)
	ms := latency.Milliseconds()
	report.LatencyMS = &ms
	report.StatusCode = resp.status
	report.ContentType = truncateUntrusted(resp.header.Get("Content-Type"))
	first := diagnoseResponse(resp, target, secret, token, e.secretLookalikes(secret))
	for _, f := range first.findings {
		report.add(f)
	}
	if latency > limit/2 {
		report.add(finding{
			Check:    "slow",
			Severity: severityWarning,
			Message:  fmt.Sprintf("the response took %s, more than half of X's %s limit", latency.Round(time.Millisecond), limit),
			Fix:      "answer the CRC without I/O (no database, no network calls) so that load cannot push it over the limit",
		})
	}

	oracle, err := getCRC(ctx, client, target, oracleToken)
	if err != nil {
		return report // only a response to the oracle request is a finding
	}
	report.OracleStatusCode = oracle.status
	if f, ok := diagnoseOracle(oracle, secret, first.responseToken); ok {
		report.add(f)
	}
	return report
}

// crcResponse is a response to a CRC request, read within maxCRCBodyBytes.
type crcResponse struct {
	status   int
	header   http.Header
	body     []byte
	tooLarge bool
}

// getCRC sends GET target?crc_token=token, as X does.
func getCRC(ctx context.Context, client *http.Client, target *url.URL, token string) (*crcResponse, error) {
	u := *target
	q := u.Query()
	q.Set("crc_token", token)
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxCRCBodyBytes+1))
	if err != nil {
		return nil, err
	}
	return &crcResponse{
		status:   resp.StatusCode,
		header:   resp.Header,
		body:     body[:min(len(body), maxCRCBodyBytes)],
		tooLarge: len(body) > maxCRCBodyBytes,
	}, nil
}

// newCRCToken returns a random token of the opaque alphabet that X's
// tokens use.
func newCRCToken() string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func printCheckReport(w io.Writer, r *checkReport) {
	fmt.Fprintf(w, "CRC check of %s\n", r.URL)
	if r.LatencyMS != nil {
		fmt.Fprintf(w, "  response: %d %s, Content-Type %q, %d ms (limit %d ms)\n",
			r.StatusCode, http.StatusText(r.StatusCode), r.ContentType, *r.LatencyMS, r.TimeLimitMS)
	} else {
		fmt.Fprintln(w, "  response: none")
	}
	if r.OracleStatusCode != 0 {
		fmt.Fprintf(w, "  response to a JSON body as crc_token: %d %s\n", r.OracleStatusCode, http.StatusText(r.OracleStatusCode))
	}
	for _, f := range r.Findings {
		fmt.Fprintf(w, "\n%s %s: %s\n  fix: %s\n", strings.ToUpper(f.Severity), f.Check, f.Message, f.Fix)
	}
	fmt.Fprintln(w)
	if r.OK {
		fmt.Fprintln(w, "No failures: X's CRC check of this URL would pass.")
		return
	}
	fmt.Fprintf(w, "%s: X's CRC check of this URL would fail.\n", countFailures(r.failures()))
}

func countFailures(n int) string {
	if n == 1 {
		return "1 failure"
	}
	return fmt.Sprintf("%d failures", n)
}
