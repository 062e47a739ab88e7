package xtest

import (
	"net/url"
	"testing"
	"time"
)

func FuzzParseReplayV11(f *testing.F) {
	now := time.Date(2026, 3, 10, 12, 0, 30, 0, time.UTC)
	f.Add("1", "from_date=202603100000&to_date=202603101200")
	f.Add("1", "from_date=202603050000&to_date=202603051200")
	f.Add("18446744073709551615", "from_date=202603101200&to_date=202603101201")
	f.Add("-1", "from_date=2026&to_date=")
	f.Add("1", "from_date=202603101200&from_date=x&to_date=%zz")
	f.Fuzz(func(t *testing.T, webhookID, rawQuery string) {
		query, _ := url.ParseQuery(rawQuery)
		req, e := parseReplayV11(webhookID, query, now)
		if e != nil {
			if e.status < 400 || e.status > 499 || e.code == 0 || e.message == "" {
				t.Errorf("error %+v is not a v1.1 client error", *e)
			}
			return
		}
		if req.webhookID != webhookID || !isDecimalID(webhookID) {
			t.Errorf("accepted webhook id %q as %q", webhookID, req.webhookID)
		}
		if !req.from.Before(req.to) {
			t.Errorf("accepted window %v to %v is empty", req.from, req.to)
		}
		if req.from.Before(now.Add(-v11ReplayWindow-time.Minute)) || req.to.After(now) {
			t.Errorf("accepted window %v to %v is outside the last 5 days of %v", req.from, req.to, now)
		}
	})
}
