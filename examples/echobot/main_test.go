package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/goodgo/xactivity/dm"
	"github.com/goodgo/xactivity/webhook"
	"github.com/goodgo/xactivity/xtest"
)

func TestEchobotAnswersOnce(t *testing.T) {
	fake := xtest.NewServer()
	defer fake.Close()
	app, err := fake.AddApp(xtest.App{ConsumerSecret: "bot-consumer-secret"})
	if err != nil {
		t.Fatal(err)
	}
	botUser, err := fake.AddUser(app.ID, xtest.User{ID: "1470000000000000001", Username: "shop_bot"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fake.AddUser(app.ID, xtest.User{ID: "1470000000000000777", Username: "ana"}); err != nil {
		t.Fatal(err)
	}
	client, err := dm.NewClient(fake.Client(app, botUser), dm.WithBaseURL(fake.URL()))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(newBot(app.ConsumerSecret, client))
	defer srv.Close()

	deliver := func(id, sender, recipient, text string) {
		t.Helper()
		body := fmt.Appendf(nil, `{"for_user_id":"1470000000000000001","direct_message_events":[{"type":"message_create",`+
			`"id":"%s","created_timestamp":"1764851234567","message_create":{"target":{"recipient_id":"%s"},`+
			`"sender_id":"%s","message_data":{"text":%q}}}]}`, id, recipient, sender, text)
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, srv.URL, bytes.NewReader(body))
		req.Header.Set(webhook.SignatureHeader, webhook.Sign(app.ConsumerSecret, body))
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("delivery %s: status %d", id, resp.StatusCode)
		}
	}
	deliver("101", "1470000000000000777", "1470000000000000001", "hello")
	deliver("101", "1470000000000000777", "1470000000000000001", "hello") // redelivered
	sent := fake.SentDMs()
	if len(sent) != 1 || sent[0].Text != "You said: hello" || sent[0].RecipientID != "1470000000000000777" {
		t.Fatalf("fake recorded %+v, want one echo to Ana", sent)
	}
	deliver(sent[0].EventID, "1470000000000000001", "1470000000000000777", sent[0].Text) // the bot's own DM
	if n := len(fake.SentDMs()); n != 1 {
		t.Errorf("fake recorded %d DMs after the bot's echo, want 1", n)
	}
}
