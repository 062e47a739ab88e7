package xtest

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/goodgo/xactivity/crc"
)

// Defaults of the webhook options.
const (
	// defaultCRCTimeout is how long X's v2 API waits for a CRC response, and
	// defaultV11CRCTimeout how long its v1.1 API waits.
	defaultCRCTimeout    = 10 * time.Second
	defaultV11CRCTimeout = 3 * time.Second
	// defaultWebhookLimit and defaultSubscriptionLimit are X's limits for an
	// app of the pay-per-use tier.
	defaultWebhookLimit      = 1
	defaultSubscriptionLimit = 3
	// maxWebhookURLLen is the longest webhook URL X accepts.
	maxWebhookURLLen = 200
	// maxCRCResponseBytes bounds the CRC response the server reads.
	maxCRCResponseBytes = 64 << 10
	// firstWebhookID is the first webhook id the fake gives out.
	firstWebhookID = 1700000000000000000
)

// Webhook is a webhook an app registered, as the server stores it.
type Webhook struct {
	ID    string // decimal string
	AppID string
	URL   string
	Valid bool // whether the last CRC check passed
	// Environment is the v1.1 Premium environment that holds the webhook,
	// and empty for a webhook registered through v2 or v1.1 Enterprise.
	Environment string
	CreatedAt   time.Time
	// Subscribers are the ids of the users subscribed to the webhook, in
	// the order they subscribed.
	Subscribers []string
}

// webhookState is the mutex-guarded set of webhooks, subscriptions,
// deliveries and replays of a Server.
type webhookState struct {
	mu                sync.Mutex
	hooks             []*Webhook // in creation order
	nextID            uint64
	nextJob           uint64
	deliveries        []Delivery
	replaying         map[string]bool // webhook ids with a replay running
	webhookLimit      int
	subscriptionLimit int
	insecure          bool
	crcTimeout        time.Duration       // for v2 CRC checks
	crcTimeoutV11     time.Duration       // for v1.1 CRC checks
	envs              map[string][]string // app id to Premium environment names, in the order added
	client            *http.Client
	replays           sync.WaitGroup
	stop              context.Context // canceled by Close, ends replays
	cancel            context.CancelFunc
}

func newWebhookState() *webhookState {
	stop, cancel := context.WithCancel(context.Background())
	return &webhookState{
		replaying:         make(map[string]bool),
		webhookLimit:      defaultWebhookLimit,
		subscriptionLimit: defaultSubscriptionLimit,
		crcTimeout:        defaultCRCTimeout,
		crcTimeoutV11:     defaultV11CRCTimeout,
		envs:              make(map[string][]string),
		client: &http.Client{
			Transport: http.DefaultTransport.(*http.Transport).Clone(),
			// X does not follow redirects: any 3xx fails the CRC check.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		stop:   stop,
		cancel: cancel,
	}
}

// WithInsecureWebhooks lets apps register webhook URLs with the http scheme
// and with a port, such as those of httptest.NewServer. Without it the
// server accepts only https URLs without a port, as X does.
func WithInsecureWebhooks() Option {
	return func(s *Server) { s.hooks.insecure = true }
}

// WithCRCTimeout sets how long the server waits for the response to a CRC
// check before it fails the check, on the v2 and the v1.1 endpoints alike.
// Without it the server uses X's limits: 10 seconds on v2 and 3 seconds on
// v1.1. New panics when d is not positive.
func WithCRCTimeout(d time.Duration) Option {
	if d <= 0 {
		panic("xtest: CRC timeout must be positive")
	}
	return func(s *Server) {
		s.hooks.crcTimeout = d
		s.hooks.crcTimeoutV11 = d
	}
}

// WithWebhookLimit sets how many webhooks one app may register. The default
// is 1, X's limit for the pay-per-use tier. New panics when n is not
// positive.
func WithWebhookLimit(n int) Option {
	if n <= 0 {
		panic("xtest: webhook limit must be positive")
	}
	return func(s *Server) { s.hooks.webhookLimit = n }
}

// WithSubscriptionLimit sets how many user subscriptions one app may have
// across its webhooks. The default is 3, X's limit for the pay-per-use
// tier. New panics when n is not positive.
func WithSubscriptionLimit(n int) Option {
	if n <= 0 {
		panic("xtest: subscription limit must be positive")
	}
	return func(s *Server) { s.hooks.subscriptionLimit = n }
}

// routeWebhooks registers the webhook, subscription and replay endpoints.
func (s *Server) routeWebhooks() {
	s.mux.Handle("POST /2/webhooks", s.appAuth(true, s.serveCreateWebhook))
	s.mux.Handle("GET /2/webhooks", s.appAuth(false, s.serveListWebhooks))
	s.mux.Handle("PUT /2/webhooks/{webhook_id}", s.appAuth(true, s.serveValidateWebhook))
	s.mux.Handle("DELETE /2/webhooks/{webhook_id}", s.appAuth(true, s.serveDeleteWebhook))
	s.mux.Handle("POST /2/webhooks/replay", s.appAuth(false, s.serveReplay))
	s.routeSubscriptions()
	s.routeWebhooksV11()
}

// webhookFailure returns the 400 problem for one of the failure reasons
// X's documentation names, such as "CrcValidationFailed", followed by the
// fake's own explanation.
//
// NOTE: X documents the reason names but not where they appear in the
// error body. The fake sends the invalid-request problem with the reason at
// the start of its one error message.
func webhookFailure(reason, format string, args ...any) typedProblem {
	return invalidRequest([]paramError{{Message: reason + ": " + fmt.Sprintf(format, args...)}})
}

// v2Webhook is a webhook in the v2 shape.
type v2Webhook struct {
	ID        string `json:"id"`
	URL       string `json:"url"`
	Valid     bool   `json:"valid"`
	CreatedAt string `json:"created_at"`
}

func renderWebhook(h *Webhook) v2Webhook {
	return v2Webhook{ID: h.ID, URL: h.URL, Valid: h.Valid, CreatedAt: h.CreatedAt.UTC().Format(v2TimeFormat)}
}

// serveCreateWebhook registers a webhook after a CRC check of its URL.
func (s *Server) serveCreateWebhook(w http.ResponseWriter, r *http.Request, app App) {
	var req struct {
		URL *string `json:"url"`
	}
	if err := json.Unmarshal(bodyBytes(r), &req); err != nil || req.URL == nil {
		writeProblem(w, http.StatusBadRequest, invalidRequest([]paramError{
			bodyError("$.url", "a JSON object with the webhook URL as url is required")}))
		return
	}
	if problem := s.hooks.checkURL(*req.URL); problem != nil {
		writeProblem(w, http.StatusBadRequest, *problem)
		return
	}
	if problem := s.hooks.checkNewWebhook(app.ID, *req.URL); problem != nil {
		writeProblem(w, http.StatusBadRequest, *problem)
		return
	}
	if err := s.checkCRC(r.Context(), app, *req.URL, s.hooks.crcTimeout); err != nil {
		writeProblem(w, http.StatusBadRequest, webhookFailure("CrcValidationFailed", "%v", err))
		return
	}
	h, problem := s.hooks.create(app.ID, *req.URL, s.now())
	if problem != nil {
		writeProblem(w, http.StatusBadRequest, *problem)
		return
	}
	writeData(w, struct {
		Data v2Webhook `json:"data"`
	}{h})
}

// checkURL returns the UrlValidationFailed problem for a URL that X would
// not accept, and nil for a valid one.
func (st *webhookState) checkURL(raw string) *typedProblem {
	fail := func(format string, args ...any) *typedProblem {
		p := webhookFailure("UrlValidationFailed", format, args...)
		return &p
	}
	if len(raw) > maxWebhookURLLen {
		return fail("the URL is %d characters long, more than %d", len(raw), maxWebhookURLLen)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil {
		return fail("%q is not an absolute URL without credentials", raw)
	}
	if u.Scheme != "https" && !(st.insecure && u.Scheme == "http") {
		return fail("the URL must use https")
	}
	if u.Port() != "" && !st.insecure {
		return fail("the URL must not name a port")
	}
	return nil
}

// checkNewWebhook returns the problem for a webhook app appID may not
// register: a URL it already registered or one webhook too many. Webhooks
// of Premium environments do not count against the limit.
func (st *webhookState) checkNewWebhook(appID, rawURL string) *typedProblem {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.newWebhookProblem(appID, rawURL)
}

// newWebhookProblem is checkNewWebhook for a caller that holds st.mu.
func (st *webhookState) newWebhookProblem(appID, rawURL string) *typedProblem {
	n := 0
	for _, h := range st.hooks {
		if h.AppID != appID {
			continue
		}
		if h.URL == rawURL {
			p := webhookFailure("DuplicateUrlFailed", "the app already registered this URL as webhook %s", h.ID)
			return &p
		}
		if h.Environment == "" {
			n++
		}
	}
	if n >= st.webhookLimit {
		p := webhookFailure("WebhookLimitExceeded", "the app already has %d of %d webhooks", n, st.webhookLimit)
		return &p
	}
	return nil
}

// create stores a valid webhook, checking the limits again because another
// request may have registered one during the CRC check.
func (st *webhookState) create(appID, rawURL string, now time.Time) (v2Webhook, *typedProblem) {
	st.mu.Lock()
	defer st.mu.Unlock()
	// The check and the insert hold the lock together, so two concurrent
	// requests for one URL cannot both register it.
	if p := st.newWebhookProblem(appID, rawURL); p != nil {
		return v2Webhook{}, p
	}
	return renderWebhook(st.insert(appID, "", rawURL, now)), nil
}

// insert stores a new valid webhook of app appID in Premium environment env,
// or in none when env is empty, and returns it. The caller holds st.mu and
// has checked the limits.
func (st *webhookState) insert(appID, env, rawURL string, now time.Time) *Webhook {
	h := &Webhook{
		ID:          strconv.FormatUint(firstWebhookID+st.nextID, 10),
		AppID:       appID,
		URL:         rawURL,
		Valid:       true,
		CreatedAt:   now,
		Environment: env,
	}
	st.nextID++
	st.hooks = append(st.hooks, h)
	return h
}

// crcFailureKind classifies a failed CRC check as X's v1.1 error messages
// do.
type crcFailureKind int

const (
	// crcUnreachable is a check that got no response, or a status other
	// than 200.
	crcUnreachable crcFailureKind = iota
	// crcSlow is a check whose response did not arrive within the time
	// limit.
	crcSlow
	// crcBadResponse is a 200 response that is not JSON or carries a wrong
	// response_token.
	crcBadResponse
)

// crcFailure is a failed CRC check. Its message never contains the expected
// response token.
type crcFailure struct {
	kind crcFailureKind
	err  error
}

func (f *crcFailure) Error() string { return f.err.Error() }
func (f *crcFailure) Unwrap() error { return f.err }

// checkCRC sends a CRC check to rawURL as X does and returns why it failed,
// as a *crcFailure, or nil when the URL responded 200 with the right
// response token within limit. Redirects are not followed.
func (s *Server) checkCRC(ctx context.Context, app App, rawURL string, limit time.Duration) error {
	var nonce [24]byte
	rand.Read(nonce[:])
	token := base64.RawURLEncoding.EncodeToString(nonce[:])

	u, err := url.Parse(rawURL)
	if err != nil {
		return &crcFailure{crcUnreachable, fmt.Errorf("invalid URL: %w", err)}
	}
	q := u.Query()
	q.Set("crc_token", token)
	u.RawQuery = q.Encode()

	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	// fail reports a failure of kind, or a slow response when the time limit
	// ended the request.
	fail := func(kind crcFailureKind, err error) error {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			kind = crcSlow
		}
		return &crcFailure{kind, err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return &crcFailure{crcUnreachable, fmt.Errorf("build CRC request: %w", err)}
	}
	resp, err := s.hooks.client.Do(req)
	if err != nil {
		return fail(crcUnreachable, fmt.Errorf("CRC request failed: %w", err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return &crcFailure{crcUnreachable, &crcStatusError{resp.StatusCode}}
	}
	if err := checkResponseToken(resp.Body, app.ConsumerSecret, token); err != nil {
		return fail(crcBadResponse, err)
	}
	return nil
}

// checkResponseToken reads a CRC response and checks its response_token in
// constant time. The error never contains the expected token.
func checkResponseToken(body io.Reader, consumerSecret, token string) error {
	data, err := io.ReadAll(io.LimitReader(body, maxCRCResponseBytes+1))
	if err != nil {
		return fmt.Errorf("read CRC response: %w", err)
	}
	if len(data) > maxCRCResponseBytes {
		return fmt.Errorf("CRC response is longer than %d bytes", maxCRCResponseBytes)
	}
	var parsed struct {
		ResponseToken string `json:"response_token"`
	}
	if err := json.Unmarshal(data, &parsed); err != nil {
		return fmt.Errorf("CRC response is not a JSON object: %w", err)
	}
	want := crc.ResponseToken(consumerSecret, token)
	if !hmac.Equal([]byte(parsed.ResponseToken), []byte(want)) {
		return fmt.Errorf("CRC response has a wrong response_token")
	}
	return nil
}

// serveListWebhooks lists the app's webhooks. The webhook_config.fields
// parameter is accepted and ignored, because X's four fields are always
// sent.
func (s *Server) serveListWebhooks(w http.ResponseWriter, r *http.Request, app App) {
	type meta struct {
		ResultCount int `json:"result_count"`
	}
	resp := struct {
		Data []v2Webhook `json:"data,omitempty"`
		Meta meta        `json:"meta"`
	}{}
	for _, h := range s.Webhooks(app.ID) {
		resp.Data = append(resp.Data, renderWebhook(&h))
	}
	resp.Meta.ResultCount = len(resp.Data)
	writeData(w, resp)
}

// serveValidateWebhook runs a new CRC check of the app's webhook and stores
// its result.
func (s *Server) serveValidateWebhook(w http.ResponseWriter, r *http.Request, app App) {
	h, ok := s.hooks.webhook(app.ID, r.PathValue("webhook_id"))
	if !ok {
		writeWebhookIDInvalid(w, r)
		return
	}
	valid := s.checkCRC(r.Context(), app, h.URL, s.hooks.crcTimeout) == nil
	s.storeCRCResult(h.ID, valid)
	writeData(w, struct {
		Data struct {
			Valid bool `json:"valid"`
		} `json:"data"`
	}{struct {
		Valid bool `json:"valid"`
	}{valid}})
}

// serveDeleteWebhook deletes the app's webhook and its subscriptions.
func (s *Server) serveDeleteWebhook(w http.ResponseWriter, r *http.Request, app App) {
	if !s.hooks.remove(app.ID, r.PathValue("webhook_id")) {
		writeWebhookIDInvalid(w, r)
		return
	}
	writeData(w, v2DeleteResponse{Data: v2Deleted{Deleted: true}})
}

// writeWebhookIDInvalid sends the problem for a webhook id that is not one
// of the app's webhooks.
func writeWebhookIDInvalid(w http.ResponseWriter, r *http.Request) {
	writeProblem(w, http.StatusBadRequest, webhookFailure("WebhookIdInvalid",
		"the app has no webhook with id %q", r.PathValue("webhook_id")))
}

// webhook returns a copy of the webhook with the given id if app appID owns
// it.
func (st *webhookState) webhook(appID, id string) (Webhook, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	h := st.find(id)
	if h == nil || h.AppID != appID {
		return Webhook{}, false
	}
	return cloneWebhook(h), true
}

// find returns the webhook with the given id, or nil. The caller holds
// st.mu.
func (st *webhookState) find(id string) *Webhook {
	for _, h := range st.hooks {
		if h.ID == id {
			return h
		}
	}
	return nil
}

func (st *webhookState) setValid(id string, valid bool) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	h := st.find(id)
	if h == nil {
		return false
	}
	h.Valid = valid
	return true
}

// remove deletes the webhook with the given id if app appID owns it.
func (st *webhookState) remove(appID, id string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	i := slices.IndexFunc(st.hooks, func(h *Webhook) bool { return h.ID == id && h.AppID == appID })
	if i < 0 {
		return false
	}
	st.hooks = slices.Delete(st.hooks, i, i+1)
	return true
}

func cloneWebhook(h *Webhook) Webhook {
	c := *h
	c.Subscribers = slices.Clone(h.Subscribers)
	return c
}

// Webhooks returns the webhooks of app appID in the order they were
// registered. It is safe for concurrent use, and the caller may modify the
// result.
func (s *Server) Webhooks(appID string) []Webhook {
	st := s.hooks
	st.mu.Lock()
	defer st.mu.Unlock()
	var out []Webhook
	for _, h := range st.hooks {
		if h.AppID == appID {
			out = append(out, cloneWebhook(h))
		}
	}
	return out
}

// InvalidateWebhook marks the webhook with the given id invalid, as X does
// after its periodic CRC checks fail. The server then sends it no
// deliveries until a PUT of the webhook, on v2 or v1.1, passes a CRC check
// again.
// It returns an error when no such webhook exists, and is safe for
// concurrent use.
func (s *Server) InvalidateWebhook(id string) error {
	if !s.hooks.setValid(id, false) {
		return fmt.Errorf("xtest: webhook %q not found", id)
	}
	return nil
}
