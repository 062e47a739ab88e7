package xtest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/goodgo/xactivity/crc"
)

const aaV11 = "/1.1/account_activity/"

// wantV11Error checks that resp is a v1.1 errors body with one error of the
// given status, code and message.
func wantV11Error(t *testing.T, resp response, status, code int, message string) {
	t.Helper()
	if resp.status != status {
		t.Errorf("status = %d, want %d; body %s", resp.status, status, resp.body)
	}
	var got v1Errors
	if err := json.Unmarshal([]byte(resp.body), &got); err != nil || len(got.Errors) != 1 {
		t.Fatalf("body %q is not a v1.1 errors array with one error", resp.body)
	}
	want := v1Error{Code: code, Message: message}
	if got.Errors[0] != want {
		t.Errorf("error = %+v, want %+v", got.Errors[0], want)
	}
}

// wantNoContent checks that resp is a 204 without a body.
func wantNoContent(t *testing.T, resp response) {
	t.Helper()
	if resp.status != http.StatusNoContent || resp.body != "" {
		t.Errorf("response = %d %q, want 204 without a body", resp.status, resp.body)
	}
}

// userV11 returns a client signing as u, for the v1.1 endpoints.
func (f *hookFixture) userV11(u User) *http.Client {
	return f.srv.Client(f.app, u)
}

// createWebhookV11 registers rawURL through the v1.1 webhooks.json endpoint
// under prefix, signed as u, and returns the new webhook.
func (f *hookFixture) createWebhookV11(prefix string, u User, rawURL string) v11Webhook {
	f.t.Helper()
	resp := f.call(f.userV11(u), "POST", prefix+"webhooks.json?url="+url.QueryEscape(rawURL), "")
	if resp.status != http.StatusOK {
		f.t.Fatalf("POST %swebhooks.json = %d %s, want 200", prefix, resp.status, resp.body)
	}
	var h v11Webhook
	resp.decode(f.t, &h)
	return h
}

func TestV11CreateWebhookEnterprise(t *testing.T) {
	f := newHookFixture(t)
	receiver, _ := newReceiver(t, f.app.ConsumerSecret)

	created := f.createWebhookV11(aaV11, f.alice, receiver.URL)
	now := f.clock.Now().UTC()
	want := v11Webhook{
		ID: created.ID, URL: receiver.URL, Valid: true,
		CreatedTimestamp: now.Format("2006-01-02 15:04:05") + " +0000",
		CreatedAt:        now.Format("2006-01-02T15:04:05Z"),
	}
	if diff := cmp.Diff(want, created); diff != "" {
		t.Errorf("created webhook mismatch (-want +got):\n%s", diff)
	}
	if !isDecimalID(created.ID) {
		t.Errorf("id = %q, want a decimal id", created.ID)
	}

	resp := f.call(f.appClient(), "GET", aaV11+"webhooks.json", "")
	var listed []v11Webhook
	resp.decode(t, &listed)
	if diff := cmp.Diff([]v11Webhook{want}, listed); diff != "" {
		t.Errorf("GET webhooks.json mismatch (-want +got):\n%s", diff)
	}
	hooks := f.srv.Webhooks(f.app.ID)
	if len(hooks) != 1 || hooks[0].ID != created.ID || hooks[0].Environment != "" {
		t.Errorf("Webhooks = %+v, want webhook %s outside any environment", hooks, created.ID)
	}
}

func TestV11ListWebhooksEmpty(t *testing.T) {
	f := newHookFixture(t)
	resp := f.call(f.appClient(), "GET", aaV11+"webhooks.json", "")
	if resp.status != http.StatusOK || resp.body != "[]" {
		t.Errorf("GET webhooks.json = %d %s, want 200 []", resp.status, resp.body)
	}
}

func TestV11CreateWebhookCRCFailures(t *testing.T) {
	tests := []struct {
		name    string
		handler func(t *testing.T, secret string) http.Handler
		want    apiError
	}{
		{"wrong secret", func(*testing.T, string) http.Handler {
			return &crc.Handler{ConsumerSecret: "not-the-app-secret"}
		}, errCRCFormat},
		{"not JSON", func(_ *testing.T, secret string) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Write([]byte(crc.ResponseToken(secret, r.URL.Query().Get("crc_token"))))
			})
		}, errCRCFormat},
		{"wrong token", func(_ *testing.T, secret string) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				json.NewEncoder(w).Encode(map[string]string{"response_token": crc.ResponseToken(secret, "other")})
			})
		}, errCRCFormat},
		{"server error", func(*testing.T, string) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, "broken", http.StatusInternalServerError)
			})
		}, errCRCStatus},
		{"not found", func(*testing.T, string) http.Handler { return http.NotFoundHandler() }, errCRCStatus},
		{"redirect", func(t *testing.T, secret string) http.Handler {
			good := httptest.NewServer(&crc.Handler{ConsumerSecret: secret})
			t.Cleanup(good.Close)
			return http.RedirectHandler(good.URL, http.StatusFound)
		}, errCRCStatus},
		{"too slow", func(*testing.T, string) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				<-r.Context().Done()
			})
		}, errCRCLatency},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newHookFixture(t, WithCRCTimeout(100*time.Millisecond))
			receiver := httptest.NewServer(tt.handler(t, f.app.ConsumerSecret))
			t.Cleanup(receiver.Close)

			resp := f.call(f.userV11(f.alice), "POST", aaV11+"webhooks.json?url="+url.QueryEscape(receiver.URL), "")
			wantV11Error(t, resp, tt.want.status, tt.want.code, tt.want.message)
			if strings.Contains(resp.body, f.app.ConsumerSecret) {
				t.Errorf("body %s contains the consumer secret", resp.body)
			}
			if hooks := f.srv.Webhooks(f.app.ID); len(hooks) != 0 {
				t.Errorf("Webhooks = %+v, want none", hooks)
			}
		})
	}
}

func TestV11CreateWebhookUnreachable(t *testing.T) {
	f := newHookFixture(t)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	resp := f.call(f.userV11(f.alice), "POST", aaV11+"webhooks.json?url="+url.QueryEscape(closed.URL), "")
	wantV11Error(t, resp, http.StatusForbidden, 214, errCRCStatus.message)
}

// TestV11CRCDefaultLimit checks that v1.1 gives up on a CRC check after X's
// 3 seconds, well before the 10 seconds of v2.
func TestV11CRCDefaultLimit(t *testing.T) {
	t.Parallel()
	f := newHookFixture(t)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(15 * time.Second):
		}
	}))
	t.Cleanup(receiver.Close)

	start := time.Now()
	resp := f.call(f.userV11(f.alice), "POST", aaV11+"webhooks.json?url="+url.QueryEscape(receiver.URL), "")
	elapsed := time.Since(start)
	wantV11Error(t, resp, http.StatusForbidden, 214, errCRCLatency.message)
	if elapsed < 3*time.Second || elapsed > 9*time.Second {
		t.Errorf("CRC check gave up after %v, want about 3s", elapsed)
	}
}

func TestV11CreateWebhookRejects(t *testing.T) {
	f := newHookFixture(t)
	first, _ := newReceiver(t, f.app.ConsumerSecret)
	second, _ := newReceiver(t, f.app.ConsumerSecret)
	f.createWebhookV11(aaV11, f.alice, first.URL)

	tests := []struct {
		name, query string
		want        apiError
	}{
		{"missing url", "", errParamMissing("url")},
		{"invalid url", "?url=" + url.QueryEscape("ftp://hooks.example.test/x"), errWebhookURLV11},
		{"credentials in url", "?url=" + url.QueryEscape("https://u:p@hooks.example.test/x"), errWebhookURLV11},
		{"duplicate url", "?url=" + url.QueryEscape(first.URL), errWebhookURLV11},
		{"over the webhook limit", "?url=" + url.QueryEscape(second.URL), errTooManyResources},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := f.call(f.userV11(f.alice), "POST", aaV11+"webhooks.json"+tt.query, "")
			wantV11Error(t, resp, tt.want.status, tt.want.code, tt.want.message)
		})
	}
	if n := len(f.srv.Webhooks(f.app.ID)); n != 1 {
		t.Errorf("len(Webhooks) = %d, want 1", n)
	}
}

func TestV11CreateWebhookFormBody(t *testing.T) {
	f := newHookFixture(t)
	receiver, _ := newReceiver(t, f.app.ConsumerSecret)
	req, err := http.NewRequest("POST", f.srv.URL()+aaV11+"webhooks.json",
		strings.NewReader(url.Values{"url": {receiver.URL}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	status, body := do(t, f.userV11(f.alice), req)
	if status != http.StatusOK || !strings.Contains(body, receiver.URL) {
		t.Errorf("POST webhooks.json with a form body = %d %s, want 200 with the URL", status, body)
	}
}

func TestV11ValidateWebhook(t *testing.T) {
	f := newHookFixture(t)
	sw := &switchHandler{next: &crc.Handler{ConsumerSecret: f.app.ConsumerSecret}}
	receiver := httptest.NewServer(sw)
	t.Cleanup(receiver.Close)
	id := f.createWebhookV11(aaV11, f.alice, receiver.URL).ID
	path := aaV11 + "webhooks/" + id + ".json"

	if err := f.srv.InvalidateWebhook(id); err != nil {
		t.Fatal(err)
	}
	wantNoContent(t, f.call(f.userV11(f.alice), "PUT", path, ""))
	if !f.srv.Webhooks(f.app.ID)[0].Valid {
		t.Error("webhook invalid after a passing PUT")
	}

	sw.down.Store(true)
	resp := f.call(f.userV11(f.alice), "PUT", path, "")
	wantV11Error(t, resp, http.StatusForbidden, 214, errCRCStatus.message)
	if f.srv.Webhooks(f.app.ID)[0].Valid {
		t.Error("webhook valid after a failing PUT")
	}

	resp = f.call(f.userV11(f.alice), "PUT", aaV11+"webhooks/123.json", "")
	wantV11Error(t, resp, http.StatusNotFound, 34, errUnknownWebhookV11.message)
	resp = f.call(f.userV11(f.alice), "PUT", aaV11+"webhooks/"+id, "")
	wantV11Error(t, resp, http.StatusNotFound, 34, errNotFound.message)
}

func TestV11DeleteWebhook(t *testing.T) {
	f := newHookFixture(t)
	receiver, _ := newReceiver(t, f.app.ConsumerSecret)
	id := f.createWebhookV11(aaV11, f.alice, receiver.URL).ID
	path := aaV11 + "webhooks/" + id + ".json"

	other, err := f.srv.AddApp(App{})
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := f.srv.AddUser(other.ID, User{})
	if err != nil {
		t.Fatal(err)
	}
	resp := f.call(f.srv.Client(other, stranger), "DELETE", path, "")
	wantV11Error(t, resp, http.StatusNotFound, 34, errUnknownWebhookV11.message)

	wantNoContent(t, f.call(f.userV11(f.alice), "DELETE", path, ""))
	if hooks := f.srv.Webhooks(f.app.ID); len(hooks) != 0 {
		t.Errorf("Webhooks = %+v after delete, want none", hooks)
	}
	resp = f.call(f.userV11(f.alice), "DELETE", path, "")
	wantV11Error(t, resp, http.StatusNotFound, 34, errUnknownWebhookV11.message)
}

// TestGenerationsShareWebhooks checks that v2 and v1.1 manage the same
// webhooks and subscriptions.
func TestGenerationsShareWebhooks(t *testing.T) {
	f := newHookFixture(t, WithWebhookLimit(2))
	first, _ := newReceiver(t, f.app.ConsumerSecret)
	second, rec := newReceiver(t, f.app.ConsumerSecret)
	v2ID := f.createWebhook(first.URL)
	v11ID := f.createWebhookV11(aaV11, f.alice, second.URL).ID

	var v2List struct {
		Data []v2Webhook `json:"data"`
	}
	f.call(f.appClient(), "GET", "/2/webhooks", "").decode(t, &v2List)
	if len(v2List.Data) != 2 || v2List.Data[0].ID != v2ID || v2List.Data[1].ID != v11ID {
		t.Errorf("GET /2/webhooks = %+v, want webhooks %s and %s", v2List.Data, v2ID, v11ID)
	}
	var v11List []v11Webhook
	f.call(f.appClient(), "GET", aaV11+"webhooks.json", "").decode(t, &v11List)
	if len(v11List) != 2 || v11List[0].ID != v2ID || v11List[1].ID != v11ID {
		t.Errorf("GET webhooks.json = %+v, want webhooks %s and %s", v11List, v2ID, v11ID)
	}

	wantNoContent(t, f.call(f.userV11(f.alice), "POST", aaV11+"webhooks/"+v11ID+"/subscriptions/all.json", ""))
	resp := f.call(f.user(f.alice), "GET", "/2/account_activity/webhooks/"+v11ID+"/subscriptions/all", "")
	if resp.body != `{"data":{"subscribed":true}}` {
		t.Errorf("v2 check of a v1.1 subscription = %s, want subscribed", resp.body)
	}
	if _, err := f.srv.DeliverDM(t.Context(), f.bob.ID, f.alice.ID, "hello"); err != nil {
		t.Fatalf("DeliverDM: %v", err)
	}
	if got := rec.received(); len(got) != 1 || !strings.Contains(got[0], `"hello"`) {
		t.Errorf("webhook %s received %q, want the DM to its v1.1 subscriber", v11ID, got)
	}

	wantNoContent(t, f.call(f.userV11(f.alice), "DELETE", aaV11+"webhooks/"+v2ID+".json", ""))
	resp = f.call(f.appClient(), "DELETE", "/2/webhooks/"+v11ID, "")
	if resp.status != http.StatusOK {
		t.Errorf("v2 delete of a v1.1 webhook = %d %s, want 200", resp.status, resp.body)
	}
	if hooks := f.srv.Webhooks(f.app.ID); len(hooks) != 0 {
		t.Errorf("Webhooks = %+v, want none", hooks)
	}
}

func TestV11PremiumEnvironments(t *testing.T) {
	f := newHookFixture(t)
	for _, env := range []string{"dev", "Prod_2"} {
		if err := f.srv.AddEnvironment(f.app.ID, env); err != nil {
			t.Fatalf("AddEnvironment(%q): %v", env, err)
		}
	}
	enterprise, _ := newReceiver(t, f.app.ConsumerSecret)
	dev, _ := newReceiver(t, f.app.ConsumerSecret)
	extra, _ := newReceiver(t, f.app.ConsumerSecret)

	// An environment's webhook does not count against the webhook limit of 1.
	created := f.createWebhookV11(aaV11+"all/dev/", f.alice, dev.URL)
	f.createWebhookV11(aaV11, f.alice, enterprise.URL)
	want := v11Webhook{ID: created.ID, URL: dev.URL, Valid: true,
		CreatedTimestamp: f.clock.Now().UTC().Format(v11TimestampFormat)}
	if diff := cmp.Diff(want, created); diff != "" {
		t.Errorf("created webhook mismatch (-want +got):\n%s", diff)
	}
	if hooks := f.srv.Webhooks(f.app.ID); hooks[0].Environment != "dev" {
		t.Errorf("Environment = %q, want dev", hooks[0].Environment)
	}

	resp := f.call(f.userV11(f.alice), "POST", aaV11+"all/dev/webhooks.json?url="+url.QueryEscape(extra.URL), "")
	wantV11Error(t, resp, http.StatusForbidden, 214, errTooManyResources.message)

	resp = f.call(f.appClient(), "GET", aaV11+"all/dev/webhooks.json", "")
	var listed []v11Webhook
	resp.decode(t, &listed)
	if diff := cmp.Diff([]v11Webhook{want}, listed); diff != "" {
		t.Errorf("GET all/dev/webhooks.json mismatch (-want +got):\n%s", diff)
	}
	resp = f.call(f.appClient(), "GET", aaV11+"all/Prod_2/webhooks.json", "")
	if resp.body != "[]" {
		t.Errorf("GET all/Prod_2/webhooks.json = %s, want []", resp.body)
	}

	resp = f.call(f.appClient(), "GET", aaV11+"all/webhooks.json", "")
	wantBody, _ := json.Marshal(map[string]any{"environments": []any{
		map[string]any{"environment_name": "dev", "webhooks": []v11Webhook{want}},
		map[string]any{"environment_name": "Prod_2", "webhooks": []v11Webhook{}},
	}})
	if resp.body != string(wantBody) {
		t.Errorf("GET all/webhooks.json = %s, want %s", resp.body, wantBody)
	}

	wantNoContent(t, f.call(f.userV11(f.alice), "PUT", aaV11+"all/dev/webhooks/"+created.ID+".json", ""))
	resp = f.call(f.userV11(f.alice), "PUT", aaV11+"all/Prod_2/webhooks/"+created.ID+".json", "")
	wantV11Error(t, resp, http.StatusNotFound, 34, errUnknownWebhookV11.message)
	wantNoContent(t, f.call(f.userV11(f.alice), "DELETE", aaV11+"all/dev/webhooks/"+created.ID+".json", ""))
	if n := len(f.srv.Webhooks(f.app.ID)); n != 1 {
		t.Errorf("len(Webhooks) = %d after deleting the environment's webhook, want 1", n)
	}
}

func TestV11UnknownEnvironment(t *testing.T) {
	f := newHookFixture(t)
	if err := f.srv.AddEnvironment(f.app.ID, "dev"); err != nil {
		t.Fatal(err)
	}
	other, err := f.srv.AddApp(App{})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.srv.AddEnvironment(other.ID, "prod"); err != nil {
		t.Fatal(err)
	}
	user := f.userV11(f.alice)
	app := f.appClient()
	tests := []struct {
		client       *http.Client
		method, path string
	}{
		{user, "POST", "all/Dev/webhooks.json?url=https%3A%2F%2Fhooks.example.test%2Fx"},
		{app, "GET", "all/Dev/webhooks.json"},
		{user, "PUT", "all/prod/webhooks/1.json"},
		{user, "DELETE", "all/prod/webhooks/1.json"},
		{user, "POST", "all/DEV/subscriptions.json"},
		{user, "GET", "all/staging/subscriptions.json"},
		{app, "GET", "all/staging/subscriptions/list.json"},
		{app, "DELETE", "all/staging/subscriptions/" + f.alice.ID + ".json"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			resp := f.call(tt.client, tt.method, aaV11+tt.path, "")
			wantV11Error(t, resp, http.StatusForbidden, 200, "Forbidden.")
		})
	}
}

func TestAddEnvironmentRejects(t *testing.T) {
	f := newHookFixture(t)
	if err := f.srv.AddEnvironment(f.app.ID, "dev"); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, appID, env string }{
		{"unknown app", "1", "dev"},
		{"empty name", f.app.ID, ""},
		{"slash in name", f.app.ID, "a/b"},
		{"dot in name", f.app.ID, "a.json"},
		{"duplicate", f.app.ID, "dev"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := f.srv.AddEnvironment(tt.appID, tt.env); err == nil {
				t.Errorf("AddEnvironment(%q, %q) succeeded", tt.appID, tt.env)
			}
		})
	}
	if err := f.srv.AddEnvironment(f.app.ID, "Dev"); err != nil {
		t.Errorf("AddEnvironment(Dev) beside dev: %v, want names to be case-sensitive", err)
	}
}
