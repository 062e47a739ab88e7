package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestReplayStoresNothingTwice(t *testing.T) {
	h := newHarness(t)
	id := h.connect("m1")
	configureRegistration(h)
	if r := h.do(http.MethodPost, apiBase+"/accounts/"+id+"/register-webhook", h.token("m1"), nil); r.Status != http.StatusOK {
		t.Fatalf("register-webhook: status %d: %s", r.Status, r.Raw)
	}
	customer, err := h.fake.AddUser(h.app.ID, xtestUser(1, "customer_one"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	texts := []string{"hello", "is my order shipped?", "thanks"}
	for _, text := range texts {
		if _, err := h.fake.DeliverDM(ctx, customer.ID, shopID, text); err != nil {
			t.Fatal(err)
		}
	}
	h.process()
	convs := h.conversations("m1")
	if len(convs) != 1 {
		t.Fatalf("%d conversations before the replay, want 1", len(convs))
	}
	before := h.messages("m1", convs[0].ID)
	if len(before) != len(texts) {
		t.Fatalf("%d messages before the replay, want %d", len(before), len(texts))
	}

	client, err := h.srv.managementClient(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	hookID := h.fake.Webhooks(h.app.ID)[0].ID
	now := h.clock.now()
	job, err := client.Replay(ctx, hookID, now.Add(-time.Hour), now)
	if err != nil {
		t.Fatal(err)
	}
	h.fake.WaitReplays()
	h.process()

	replayed := 0
	for _, d := range h.fake.Deliveries(hookID) {
		if d.Replay {
			replayed++
			if d.Status != http.StatusOK {
				t.Errorf("replayed delivery got status %d, want 200", d.Status)
			}
		}
	}
	if replayed != len(texts)+1 {
		t.Errorf("fake replayed %d deliveries, want %d DMs and the job status", replayed, len(texts)+1)
	}
	if convs := h.conversations("m1"); len(convs) != 1 {
		t.Errorf("%d conversations after the replay, want 1", len(convs))
	}
	after := h.messages("m1", convs[0].ID)
	if len(after) != len(before) {
		t.Errorf("%d messages after the replay, want the same %d", len(after), len(before))
	}
	for i := range after {
		if after[i].ID != before[i].ID || after[i].TwitterEventID != before[i].TwitterEventID {
			t.Errorf("message %d changed in the replay: %+v, was %+v", i, after[i], before[i])
		}
	}
	logs := h.logs.String()
	if !strings.Contains(logs, "replay job finished") || !strings.Contains(logs, "job="+job.JobID) || !strings.Contains(logs, "state=Complete") {
		t.Errorf("logs lack the replay job status of job %s:\n%s", job.JobID, logs)
	}
}
