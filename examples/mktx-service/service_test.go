package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/goodgo/xactivity/crc"
	"github.com/goodgo/xactivity/internal/fixtures"
	"github.com/goodgo/xactivity/store"
	"github.com/goodgo/xactivity/webhook"
)

const (
	shopID = "1470000000000000001" // the connected account, @shop_demo
	anaID  = "1470000000000000777" // customer @ana_cliente
	baoID  = "1470000000000000888" // customer @bao_tran
)

func TestCRCRoutes(t *testing.T) {
	h := newHarness(t)
	vec := fixtures.LoadVectors(t).CRC[1] // signed with the deliveries' secret
	for _, path := range []string{"/webhooks/twitter", "/webhooks/verify"} {
		t.Run(path, func(t *testing.T) {
			r := h.do(http.MethodGet, apiBase+path+"?crc_token="+vec.CRCToken+"&nonce=abc", "", nil)
			if r.Status != http.StatusOK {
				t.Fatalf("status = %d, want 200", r.Status)
			}
			if ct := r.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			var body map[string]string
			if err := json.Unmarshal(r.Raw, &body); err != nil {
				t.Fatal(err)
			}
			if body["response_token"] != vec.ResponseToken {
				t.Errorf("response_token = %q, want %q", body["response_token"], vec.ResponseToken)
			}
			for _, bad := range []string{"", "?crc_token=", "?crc_token=" + url.QueryEscape(`{"a":1}`), "?crc_token=" + strings.Repeat("a", 257)} {
				r := h.do(http.MethodGet, apiBase+path+bad, "", nil)
				if r.Status != http.StatusBadRequest || r.Error.Code != "invalid_crc_token" || r.Success {
					t.Errorf("%q: status %d code %q, want 400 invalid_crc_token", bad, r.Status, r.Error.Code)
				}
				if strings.Contains(string(r.Raw), "sha256=") {
					t.Errorf("%q: answer contains a token: %s", bad, r.Raw)
				}
			}
		})
	}
	r := h.do(http.MethodPost, apiBase+"/webhooks/verify?crc_token=test", "", nil)
	if r.Status != http.StatusMethodNotAllowed || r.Error.Code != "method_not_allowed" {
		t.Errorf("POST verify: status %d code %q, want 405 method_not_allowed", r.Status, r.Error.Code)
	}
}

func TestConnectAccount(t *testing.T) {
	h := newHarness(t)
	body := map[string]string{"oauthToken": h.user.Token, "oauthTokenSecret": h.user.TokenSecret}

	r := h.do(http.MethodPost, apiBase+"/accounts", h.token("m1"), body)
	if r.Status != http.StatusCreated {
		t.Fatalf("first connect: status %d: %s", r.Status, r.Raw)
	}
	var first accountView
	decode(t, r.Data, &first)
	if first.TwitterUserID != shopID || first.Username != "shop_demo" || first.Status != "active" || first.ID == "" {
		t.Errorf("account = %+v", first)
	}

	r = h.do(http.MethodPost, apiBase+"/accounts", h.token("m1"), body)
	var again accountView
	decode(t, r.Data, &again)
	if r.Status != http.StatusOK || again.ID != first.ID {
		t.Errorf("reconnect: status %d id %q; want 200 and id %q", r.Status, again.ID, first.ID)
	}

	r = h.do(http.MethodPost, apiBase+"/accounts", h.token("m2"), body)
	if r.Status != http.StatusConflict {
		t.Errorf("other merchant: status %d, want 409", r.Status)
	}

	bad := map[string]string{"oauthToken": h.user.Token, "oauthTokenSecret": "wrong"}
	if r := h.do(http.MethodPost, apiBase+"/accounts", h.token("m3"), bad); r.Status != http.StatusBadRequest || r.Error.Code != "invalid_oauth_token" {
		t.Errorf("rejected token: status %d code %q, want 400 invalid_oauth_token", r.Status, r.Error.Code)
	}
	if r := h.do(http.MethodPost, apiBase+"/accounts", h.token("m3"), map[string]string{"oauthToken": "x"}); r.Status != http.StatusBadRequest {
		t.Errorf("missing secret: status %d, want 400", r.Status)
	}
	if r := h.do(http.MethodPost, apiBase+"/accounts", "", body); r.Status != http.StatusUnauthorized {
		t.Errorf("no JWT: status %d, want 401", r.Status)
	}

	r = h.do(http.MethodGet, apiBase+"/accounts", h.token("m1"), nil)
	var list []accountView
	decode(t, r.Data, &list)
	if len(list) != 1 || list[0].ID != first.ID {
		t.Errorf("list = %+v, want the one account", list)
	}
	r = h.do(http.MethodGet, apiBase+"/accounts/"+first.ID, h.token("m1"), nil)
	if r.Status != http.StatusOK {
		t.Errorf("get account: status %d", r.Status)
	}
}

func TestConnectAccountStoresSealedCredentials(t *testing.T) {
	h := newHarness(t)
	id := h.connect("m1")
	acct, err := h.srv.store.Account(context.Background(), "m1", id)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(acct.Credentials, []byte(h.user.TokenSecret)) || bytes.Contains(acct.Credentials, []byte(h.user.Token)) {
		t.Fatal("stored credentials contain the plaintext token")
	}
	creds, err := h.srv.sealer.open("m1", shopID, acct.Credentials)
	if err != nil {
		t.Fatal(err)
	}
	if creds.Token != h.user.Token || creds.TokenSecret != h.user.TokenSecret {
		t.Error("stored credentials do not open to the connected token")
	}
}

func TestEveryDeliveryEndToEnd(t *testing.T) {
	h := newHarness(t)
	h.connect("m1")
	for _, d := range fixtures.LoadDeliveries(t) {
		if status := h.deliverSigned(d.Body, d.Signature); status != http.StatusOK {
			t.Fatalf("%s: status %d, want 200", d.Name, status)
		}
	}
	h.process()

	convs := h.conversations("m1")
	if len(convs) != 2 {
		t.Fatalf("conversations = %+v, want two (Ana and Bao)", convs)
	}
	byParticipant := map[string]conversationView{}
	for _, c := range convs {
		byParticipant[c.ParticipantID] = c
	}
	ana, bao := byParticipant[anaID], byParticipant[baoID]
	if ana.ParticipantUsername != "ana_cliente" || bao.ParticipantUsername != "bao_tran" {
		t.Errorf("usernames = %q, %q", ana.ParticipantUsername, bao.ParticipantUsername)
	}

	type row struct{ event, direction, kind, status, content, created string }
	var got []row
	for _, m := range h.messages("m1", ana.ID) {
		created, _ := json.Marshal(m.CreatedAt)
		got = append(got, row{m.TwitterEventID, m.Direction, m.Type, m.Status, m.Content, string(created)})
		if m.ConversationID != ana.ID {
			t.Errorf("message %s in conversation %s, want %s", m.ID, m.ConversationID, ana.ID)
		}
	}
	want := []row{
		{"1800000000000000108", "inbound", "text", "received", "hello via XAA", `"2025-12-04T12:28:20.030Z"`},
		{"1800000000000000107", "inbound", "text", "received", "Café 😀 👩‍👩‍👧 see https://shop.example/p/1 \u001b", `"2025-12-04T12:28:20.005Z"`},
		{"1800000000000000105", "inbound", "text", "received", "first", `"2025-12-04T12:28:20.003Z"`},
		{"1800000000000000104", "inbound", "media", "received", "this one https://t.co/abc123", `"2025-12-04T12:28:20.002Z"`},
		{"1800000000000000103", "inbound", "text", "received", "Size M", `"2025-12-04T12:28:20.001Z"`},
		{"1800000000000000102", "outbound", "text", "sent", "Yes, sizes M and L.", `"2025-12-04T12:28:19.999Z"`},
		{"1800000000000000101", "inbound", "text", "received", "Hi! Is the blue jacket still in stock?", `"2025-12-04T12:27:14.567Z"`},
	}
	if len(got) != len(want) {
		t.Fatalf("Ana's conversation has %d messages, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("message %d = %+v\nwant        %+v", i, got[i], want[i])
		}
	}
	if ana.LastMessagePreview != "hello via XAA" {
		t.Errorf("Ana's preview = %q, want the newest message", ana.LastMessagePreview)
	}
	baoMessages := h.messages("m1", bao.ID)
	if len(baoMessages) != 1 || baoMessages[0].TwitterEventID != "1800000000000000106" || baoMessages[0].Content != "second" {
		t.Errorf("Bao's messages = %+v", baoMessages)
	}

	counts := h.inboxCounts()
	if counts[store.InboxPending] != 0 || counts[store.InboxProcessing] != 0 || counts[store.InboxFailed] != 0 {
		t.Errorf("inbox counts after processing = %v, want all done", counts)
	}
	follower, err := h.srv.store.Contact(context.Background(), ana.AccountID, anaID)
	if err != nil {
		t.Fatal(err)
	}
	// follow.json, unfollow.json and xaa_follow.json: the XAA follow has no
	// time of its own, so it counts as of its arrival, the latest.
	if !follower.Following {
		t.Errorf("Ana's contact = %+v, want following", follower)
	}
	blocked, err := h.srv.store.Contact(context.Background(), ana.AccountID, baoID)
	if err != nil {
		t.Fatal(err)
	}
	if blocked.Blocked || blocked.Muted {
		t.Errorf("Bao's contact = %+v, want unblocked and unmuted after the undo events", blocked)
	}
	if !strings.Contains(h.logs.String(), "Twitter webhook received") {
		t.Error("logs lack the delivery line")
	}
}

func TestDuplicateDeliveriesStoreOnce(t *testing.T) {
	h := newHarness(t)
	h.connect("m1")
	d := fixtures.LoadDelivery(t, "dm_received.json")
	var reencoded bytes.Buffer
	if err := json.Indent(&reencoded, d.Body, "", "  "); err != nil {
		t.Fatal(err)
	}
	for i, body := range [][]byte{d.Body, d.Body, reencoded.Bytes()} {
		if status := h.deliver(body); status != http.StatusOK {
			t.Fatalf("delivery %d: status %d", i, status)
		}
	}
	h.process()
	if status := h.deliver(d.Body); status != http.StatusOK {
		t.Fatalf("redelivery after processing: status %d", status)
	}
	h.process()
	convs := h.conversations("m1")
	if len(convs) != 1 {
		t.Fatalf("conversations = %d, want 1", len(convs))
	}
	if msgs := h.messages("m1", convs[0].ID); len(msgs) != 1 {
		t.Errorf("messages = %d, want 1", len(msgs))
	}
	if n := h.inboxCounts()[store.InboxDone]; n != 1 {
		t.Errorf("inbox rows done = %d, want 1", n)
	}
}

func TestEchoedDMStoredOutbound(t *testing.T) {
	h := newHarness(t)
	h.connect("m1")
	if status := h.deliver(fixtures.LoadDelivery(t, "dm_sent_echo.json").Body); status != http.StatusOK {
		t.Fatal(status)
	}
	h.process()
	convs := h.conversations("m1")
	if len(convs) != 1 || convs[0].ParticipantID != anaID {
		t.Fatalf("conversations = %+v, want one with Ana", convs)
	}
	msgs := h.messages("m1", convs[0].ID)
	if len(msgs) != 1 || msgs[0].Direction != "outbound" || msgs[0].SenderID != shopID || msgs[0].Status != "sent" {
		t.Errorf("messages = %+v, want one outbound sent by the account", msgs)
	}
}

func TestUnconnectedAccountStoredNotProcessed(t *testing.T) {
	h := newHarness(t)
	if status := h.deliver(fixtures.LoadDelivery(t, "dm_received.json").Body); status != http.StatusOK {
		t.Fatal(status)
	}
	h.process()
	h.connect("m1")
	h.process()
	if convs := h.conversations("m1"); len(convs) != 0 {
		t.Errorf("conversations = %+v, want none from before the account was connected", convs)
	}
	if n := h.inboxCounts()[store.InboxDone]; n != 1 {
		t.Errorf("inbox rows done = %d, want the delivery kept as done", n)
	}
	if !strings.Contains(h.logs.String(), "no merchant had connected") {
		t.Error("logs do not mention the unconnected account")
	}
}

func TestRevokeDeliveries(t *testing.T) {
	for _, family := range []string{"aaa", "xaa"} {
		t.Run(family, func(t *testing.T) {
			h := newHarness(t)
			id := h.connect("m1")
			name := map[string]string{"aaa": "user_event_revoke.json", "xaa": "xaa_oauth_revoke.json"}[family]
			// The samples revoke Bao; the same body for the connected account.
			body := bytes.ReplaceAll(fixtures.LoadDelivery(t, name).Body, []byte(baoID), []byte(shopID))
			if status := h.deliver(body); status != http.StatusOK {
				t.Fatalf("status %d", status)
			}
			if status := h.deliver(fixtures.LoadDelivery(t, "replay_job_status.json").Body); status != http.StatusOK {
				t.Fatalf("replay status delivery: status %d", status)
			}
			h.process()
			r := h.do(http.MethodGet, apiBase+"/accounts/"+id, h.token("m1"), nil)
			var acct accountView
			decode(t, r.Data, &acct)
			if acct.Status != "revoked" {
				t.Errorf("status = %q, want revoked", acct.Status)
			}
			stored, err := h.srv.store.Account(context.Background(), "m1", id)
			if err != nil {
				t.Fatal(err)
			}
			if len(stored.Credentials) != 0 {
				t.Error("credentials kept after revocation")
			}
			if !strings.Contains(h.logs.String(), "replay job finished") {
				t.Error("replay job status not logged")
			}
			// Reconnecting reactivates the same account.
			if again := h.connect("m1"); again != id {
				t.Errorf("reconnect id = %s, want %s", again, id)
			}
		})
	}
}

func TestWebhookRejections(t *testing.T) {
	h := newHarness(t)
	d := fixtures.LoadDelivery(t, "dm_received.json")
	tampered := append([]byte(nil), d.Body...)
	tampered[10] ^= 1
	hexDigest := "sha256=" + strings.Repeat("ab", 32)
	tests := []struct {
		name      string
		body      []byte
		signature string
		status    int
		code      string
	}{
		{"byte changed", tampered, d.Signature, http.StatusUnauthorized, "invalid_signature"},
		{"missing header", d.Body, "", http.StatusUnauthorized, "invalid_signature"},
		{"hex digest", d.Body, hexDigest, http.StatusUnauthorized, "invalid_signature"},
		{"bare digest", d.Body, strings.TrimPrefix(d.Signature, "sha256="), http.StatusUnauthorized, "invalid_signature"},
		{"truncated", d.Body, d.Signature[:30], http.StatusUnauthorized, "invalid_signature"},
		{"not JSON", []byte("hello"), webhook.Sign(h.secret, []byte("hello")), http.StatusBadRequest, "invalid_json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, h.http.URL+apiBase+"/webhooks/twitter", bytes.NewReader(tt.body))
			if tt.signature != "" {
				req.Header.Set(webhook.SignatureHeader, tt.signature)
			}
			r := h.send(req)
			if r.Status != tt.status || r.Error.Code != tt.code || r.Success {
				t.Errorf("status %d code %q, want %d %q", r.Status, r.Error.Code, tt.status, tt.code)
			}
		})
	}
	if n := h.inboxCounts(); len(n) != 0 && n[store.InboxPending] != 0 {
		t.Errorf("inbox = %v, want nothing stored", n)
	}
	r := h.do(http.MethodPut, apiBase+"/webhooks/twitter", "", nil)
	if r.Status != http.StatusMethodNotAllowed || r.Error.Code != "method_not_allowed" {
		t.Errorf("PUT: status %d code %q", r.Status, r.Error.Code)
	}
}

func TestWebhookBodyLimit(t *testing.T) {
	h := newHarness(t)
	h.srv.settings.MaxBodyBytes = 1024
	h.http.Config.Handler = h.srv.handler()
	body := []byte(`{"for_user_id":"1","pad":"` + strings.Repeat("x", 2000) + `"}`)
	r := h.send(signedRequest(t, h, body))
	if r.Status != http.StatusRequestEntityTooLarge || r.Error.Code != "payload_too_large" {
		t.Errorf("status %d code %q, want 413 payload_too_large", r.Status, r.Error.Code)
	}
}

func signedRequest(t *testing.T, h *harness, body []byte) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.http.URL+apiBase+"/webhooks/twitter", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set(webhook.SignatureHeader, webhook.Sign(h.secret, body))
	return req
}

func TestWebhookStorageFailureIs503(t *testing.T) {
	h := newHarness(t)
	h.srv.store.Close()
	r := h.send(signedRequest(t, h, fixtures.LoadDelivery(t, "dm_received.json").Body))
	if r.Status != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503 so X retries", r.Status)
	}
	if strings.Contains(string(r.Raw), "sql") {
		t.Errorf("answer leaks internals: %s", r.Raw)
	}
}

func TestTenancyIsolation(t *testing.T) {
	h := newHarness(t)
	accountID := h.connect("m1")
	for _, d := range fixtures.LoadDeliveries(t) {
		h.deliverSigned(d.Body, d.Signature)
	}
	h.process()
	convs := h.conversations("m1")
	if len(convs) == 0 {
		t.Fatal("merchant m1 has no conversations")
	}
	other := h.token("m2")
	paths := []string{
		"/accounts/" + accountID,
		"/conversations/" + convs[0].ID,
		"/conversations/" + convs[0].ID + "/messages",
		"/conversations?accountId=" + accountID,
	}
	for _, p := range paths {
		r := h.do(http.MethodGet, apiBase+p, other, nil)
		if r.Status != http.StatusNotFound || r.Error.Code != "not_found" {
			t.Errorf("%s as m2: status %d code %q, want 404", p, r.Status, r.Error.Code)
		}
		if strings.Contains(string(r.Raw), shopID) || strings.Contains(string(r.Raw), anaID) {
			t.Errorf("%s as m2 leaks data: %s", p, r.Raw)
		}
	}
	for _, p := range []string{"/accounts", "/conversations"} {
		r := h.do(http.MethodGet, apiBase+p, other, nil)
		if r.Status != http.StatusOK || string(r.Data) != "[]" {
			t.Errorf("%s as m2: status %d data %s, want 200 []", p, r.Status, r.Data)
		}
	}
}

func TestListLimits(t *testing.T) {
	h := newHarness(t)
	tok := h.token("m1")
	for _, list := range []string{"/conversations", "/accounts"} {
		for _, bad := range []string{"0", "-1", "abc", "1.5"} {
			r := h.do(http.MethodGet, apiBase+list+"?limit="+bad, tok, nil)
			if r.Status != http.StatusBadRequest {
				t.Errorf("%s?limit=%s: status %d, want 400", list, bad, r.Status)
			}
		}
		for _, ok := range []string{"1", "200", "5000"} {
			r := h.do(http.MethodGet, apiBase+list+"?limit="+ok, tok, nil)
			if r.Status != http.StatusOK {
				t.Errorf("%s?limit=%s: status %d, want 200", list, ok, r.Status)
			}
		}
	}
	if r := h.do(http.MethodGet, apiBase+"/accounts?cursor=999", tok, nil); r.Status != http.StatusBadRequest {
		t.Errorf("accounts with an unknown cursor: status %d, want 400", r.Status)
	}
}

func TestRoutesAnswerJSONErrors(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		method, path string
		bearer       bool
		status       int
		code         string
	}{
		{http.MethodGet, apiBase + "/accounts", false, http.StatusUnauthorized, "unauthorized"},
		{http.MethodDelete, apiBase + "/conversations", true, http.StatusMethodNotAllowed, "method_not_allowed"},
		{http.MethodPost, "/healthz", false, http.StatusMethodNotAllowed, "method_not_allowed"},
		{http.MethodGet, apiBase + "/nothing", true, http.StatusNotFound, "not_found"},
		{http.MethodGet, apiBase + "/accounts/999999", true, http.StatusNotFound, "not_found"},
	}
	for _, tt := range tests {
		bearer := ""
		if tt.bearer {
			bearer = h.token("m1")
		}
		r := h.do(tt.method, tt.path, bearer, nil)
		if r.Status != tt.status || r.Error.Code != tt.code || r.Success {
			t.Errorf("%s %s: status %d code %q, want %d %q", tt.method, tt.path, r.Status, r.Error.Code, tt.status, tt.code)
		}
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		if r := h.do(http.MethodGet, path, "", nil); r.Status != http.StatusOK || !r.Success {
			t.Errorf("%s: status %d", path, r.Status)
		}
	}
}

func TestLogsHoldNoSecrets(t *testing.T) {
	h := newHarness(t)
	h.connect("m1")
	h.do(http.MethodPost, apiBase+"/accounts", h.token("m2"), map[string]string{"oauthToken": h.user.Token, "oauthTokenSecret": "bad-secret-attempt"})
	h.do(http.MethodGet, apiBase+"/accounts", "garbage-jwt-value", nil)
	for _, d := range fixtures.LoadDeliveries(t) {
		h.deliverSigned(d.Body, d.Signature)
		h.deliverSigned(d.Body, "sha256=AAAA")
	}
	h.process()
	logs := h.logs.String()
	secrets := map[string]string{
		"consumer secret": h.secret,
		"token":           h.user.Token,
		"token secret":    h.user.TokenSecret,
		"bad secret":      "bad-secret-attempt",
		"JWT secret":      testJWTSecret,
		"encryption key":  testEncryptionKey,
		"JWT":             h.token("m1")[:40],
		"garbage JWT":     "garbage-jwt-value",
		"signature":       fixtures.LoadDelivery(t, "dm_received.json").Signature,
		"CRC answer":      crc.ResponseToken(h.secret, "test"),
	}
	for name, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("logs contain the %s", name)
		}
	}
}
