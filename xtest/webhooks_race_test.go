package xtest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goodgo/xactivity/crc"
)

func TestConcurrentCreateOfOneURL(t *testing.T) {
	f := newHookFixture(t)
	const creates = 2
	// The receiver responds to no CRC check until every create's check has
	// arrived, so all creates pass the duplicate check made before the
	// CRC check, and only the check made when storing can reject one.
	var arrived sync.WaitGroup
	arrived.Add(creates)
	handler := &crc.Handler{ConsumerSecret: f.app.ConsumerSecret}
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived.Done()
		done := make(chan struct{})
		go func() { arrived.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
		}
		handler.ServeHTTP(w, r)
	}))
	t.Cleanup(receiver.Close)
	url := receiver.URL + "/webhook"

	client := f.appClient()
	statuses := make([]int, creates)
	bodies := make([]string, creates)
	var wg sync.WaitGroup
	for i := range creates {
		wg.Go(func() {
			resp, err := client.Post(f.srv.URL()+"/2/webhooks", "application/json", strings.NewReader(`{"url":"`+url+`"}`))
			if err != nil {
				t.Errorf("create %d: %v", i, err)
				return
			}
			defer resp.Body.Close()
			data, _ := io.ReadAll(resp.Body)
			statuses[i], bodies[i] = resp.StatusCode, string(data)
		})
	}
	wg.Wait()

	created, duplicates := 0, 0
	for i := range creates {
		switch {
		case statuses[i] == http.StatusOK:
			created++
		case strings.Contains(bodies[i], "DuplicateUrlFailed"):
			duplicates++
		default:
			t.Errorf("create %d: status %d: %s", i, statuses[i], bodies[i])
		}
	}
	if created != 1 || duplicates != creates-1 {
		t.Errorf("%d created and %d duplicates, want 1 and %d", created, duplicates, creates-1)
	}
	if n := len(f.srv.Webhooks(f.app.ID)); n != 1 {
		t.Errorf("fake stores %d webhooks for the URL, want 1", n)
	}
}
