package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
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
	// CRCResponseOK is true when the endpoint responded in time and its
	// responses pass every check, whether or not X accepts the URL itself.
	CRCResponseOK bool `json:"crcResponseOk"`
	// StatusCode and ContentType describe the response to the CRC request,
	// and are absent when none arrived. ContentType is cut as
	// truncateUntrusted cuts it.
	StatusCode  int    `json:"statusCode,omitempty"`
	ContentType string `json:"contentType,omitempty"`
	// LatencyMS is the time from sending the CRC request to reading the
	// whole response, in milliseconds rounded to the microsecond, and
	// absent when no response arrived in time.
	LatencyMS *float64 `json:"latencyMs,omitempty"`
	// TimeLimitMS is the time limit of each response in milliseconds:
	// X's limit, or the --timeout value.
	TimeLimitMS float64 `json:"timeLimitMs"`
	// OracleStatusCode is the status of the response to the second
	// request, whose crc_token is a JSON body, and absent when none arrived.
	OracleStatusCode int       `json:"oracleStatusCode,omitempty"`
	Findings         []finding `json:"findings"`

	limit   timeLimit
	latency time.Duration // LatencyMS as a duration
	// urlProblem is the reason why X rejects the URL itself, or "".
	urlProblem string
}

func (r *checkReport) add(f finding) { r.Findings = append(r.Findings, f) }

// onlyURLRejected reports whether the endpoint's CRC responses are
// correct and the URL's form, which X rejects, is the only failure.
func (r *checkReport) onlyURLRejected() bool {
	return r.CRCResponseOK && r.urlProblem != ""
}

func (r *checkReport) failures() int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity == severityFailure {
			n++
		}
	}
	return n
}

// timeLimit is the time limit of a CRC response: X's limit, or the value
// of --timeout.
type timeLimit struct {
	d        time.Duration
	fromFlag bool // set with --timeout
}

// String names the limit in messages, such as "X's 10s limit" or "the
// --timeout limit of 200ms".
func (l timeLimit) String() string {
	if l.fromFlag {
		return fmt.Sprintf("the --timeout limit of %s", l.d)
	}
	return fmt.Sprintf("X's %s limit", l.d)
}

// milliseconds returns d in milliseconds, with the fraction.
func milliseconds(d time.Duration) float64 {
	return float64(d) / float64(time.Millisecond)
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
	limitFlag := fs.Duration("timeout", e.crcTimeLimit(),
		"time limit of each response, such as 500ms or 2s (default: X's limit, 10s, or 3s when TWITTER__API_VERSION is 1.1-*)")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return out.fail(err)
	}
	if len(rest) != 1 {
		return out.fail(errors.New("check-url: give exactly one URL"))
	}
	if *limitFlag <= 0 {
		return out.fail(errors.New("check-url: --timeout must be positive"))
	}
	limit := timeLimit{d: *limitFlag}
	fs.Visit(func(f *flag.Flag) { limit.fromFlag = limit.fromFlag || f.Name == "timeout" })
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

	report := e.runCRCCheck(ctx, rest[0], target, secret, limit)
	report.OK = report.failures() == 0
	if err := out.print(report, func(w io.Writer) { printCheckReport(w, report) }); err != nil {
		return err
	}
	switch n := report.failures(); {
	case n == 0:
		return nil
	case report.onlyURLRejected():
		// The exit status stays non-zero because registering the URL fails.
		return out.resultError(fmt.Errorf("check-url: the endpoint's CRC response is correct, but X rejects this URL: %s", report.urlProblem))
	default:
		return out.resultError(fmt.Errorf("check-url: %s found; X's CRC check of this URL would fail", countNoun(n, "failure")))
	}
}

// runCRCCheck sends the CRC request, diagnoses the response, then sends a
// JSON body as crc_token to find an endpoint that signs anything.
func (e env) runCRCCheck(ctx context.Context, raw string, target *url.URL, secret string, limit timeLimit) *checkReport {
	report := &checkReport{URL: target.Redacted(), TimeLimitMS: milliseconds(limit.d), Findings: []finding{}, limit: limit}
	if err := accountactivity.CheckWebhookURL(raw); err != nil {
		report.urlProblem = urlProblem(err, raw, target)
		report.add(urlRejected(report.urlProblem))
	}
	client := &http.Client{
		Transport: e.roundTripper(),
		// X does not follow redirects, and neither does its check.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}

	token := newCRCToken()
	resp, err := getCRC(ctx, client, target, token, limit.d)
	if err != nil {
		report.add(diagnoseTransportError(err, target, limit))
		return report
	}
	report.latency = resp.latency
	ms := milliseconds(resp.latency)
	report.LatencyMS = &ms
	report.StatusCode = resp.status
	report.ContentType = truncateUntrusted(resp.header.Get("Content-Type"))
	first := diagnoseResponse(resp, target, secret, token, e.secretLookalikes(secret))
	for _, f := range first.findings {
		report.add(f)
	}
	if f, ok := diagnoseLatency(resp.latency, limit); ok {
		report.add(f)
	}

	oracle, err := getCRC(ctx, client, target, oracleToken, limit.d)
	if err == nil { // only a response to the oracle request is a finding
		report.OracleStatusCode = oracle.status
		if f, ok := diagnoseOracle(oracle, secret, first.responseToken); ok {
			report.add(f)
		}
	}
	report.CRCResponseOK = report.failures() == 0 || (report.failures() == 1 && report.urlProblem != "")
	return report
}

// diagnoseLatency warns about a response that took more than half of the
// time limit. latency is rounded to the microsecond, as it is shown.
func diagnoseLatency(latency time.Duration, limit timeLimit) (finding, bool) {
	if latency <= limit.d/2 {
		return finding{}, false
	}
	return finding{
		Check:    "slow",
		Severity: severityWarning,
		Message:  fmt.Sprintf("the response took %s, more than half of %s", latency, limit),
		Fix:      "answer the CRC without I/O (no database, no network calls) so that load cannot push it over the limit",
	}, true
}

// crcResponse is a response to a CRC request, read within maxCRCBodyBytes.
type crcResponse struct {
	status   int
	header   http.Header
	body     []byte
	tooLarge bool
	// latency is the time from sending the request to reading the whole
	// body, rounded to the microsecond.
	latency time.Duration
}

// errLateResponse is the error of a CRC request whose response headers or
// body arrived after the time limit. X fails its check on such a response
// as on no response.
var errLateResponse = errors.New("no complete response within the time limit")

// getCRC sends GET target?crc_token=token, as X does, and reads the
// response within limit. A response that is complete only after limit
// returns an error that matches errLateResponse, because net/http can
// still return a response that arrives as the request's deadline cancels
// it.
func getCRC(ctx context.Context, client *http.Client, target *url.URL, token string, limit time.Duration) (*crcResponse, error) {
	u := *target
	q := u.Query()
	q.Set("crc_token", token)
	u.RawQuery = q.Encode()

	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxCRCBodyBytes+1))

	elapsed := time.Since(start)
	if elapsed > limit || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return nil, fmt.Errorf("%w: the response was complete after %s", errLateResponse, elapsed.Round(time.Microsecond))
	}
	if err != nil {
		return nil, err
	}
	return &crcResponse{
		status:   resp.StatusCode,
		header:   resp.Header,
		body:     body[:min(len(body), maxCRCBodyBytes)],
		tooLarge: len(body) > maxCRCBodyBytes,
		latency:  elapsed.Round(time.Microsecond),
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
		fmt.Fprintf(w, "  response: %d %s, Content-Type %q, %s (%s)\n",
			r.StatusCode, http.StatusText(r.StatusCode), r.ContentType, r.latency, r.limit)
	} else {
		fmt.Fprintf(w, "  response: none within %s\n", r.limit)
	}
	if r.OracleStatusCode != 0 {
		fmt.Fprintf(w, "  response to a JSON body as crc_token: %d %s\n", r.OracleStatusCode, http.StatusText(r.OracleStatusCode))
	}
	for _, f := range r.Findings {
		fmt.Fprintf(w, "\n%s %s: %s\n  fix: %s\n", strings.ToUpper(f.Severity), f.Check, f.Message, f.Fix)
	}
	fmt.Fprintln(w)
	switch {
	case r.OK:
		fmt.Fprintln(w, "No failures: X's CRC check of this URL would pass.")
	case r.onlyURLRejected():
		fmt.Fprintf(w, "The endpoint's CRC response is correct; X will still reject this URL because %s.\n", r.urlProblem)
	default:
		fmt.Fprintf(w, "%s: X's CRC check of this URL would fail.\n", countNoun(r.failures(), "failure"))
	}
}
