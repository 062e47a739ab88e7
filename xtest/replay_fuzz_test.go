package xtest

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/goodgo/xactivity/crc"
)

func FuzzParseReplay(f *testing.F) {
	now := time.Date(2026, 3, 1, 12, 0, 30, 0, time.UTC)
	f.Add(`{"webhook_id":"1","from_date":"202603010000","to_date":"202603011200"}`)
	f.Add(`{"webhook_id":"1","from_date":"202602281159","to_date":"202603011200"}`)
	f.Add(`{"webhook_id":"x","from_date":"2026","to_date":""}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, body string) {
		req, problem := parseReplay([]byte(body), now)
		if problem != nil {
			if !strings.Contains(problem.Errors[0].Message, "QueryParamInvalid") {
				t.Errorf("problem %+v does not name QueryParamInvalid", problem)
			}
			return
		}
		if !req.from.Before(req.to) {
			t.Errorf("accepted window %v to %v is empty", req.from, req.to)
		}
		if req.from.Before(now.Add(-25*time.Hour)) || req.to.After(now.Add(time.Minute)) {
			t.Errorf("accepted window %v to %v is outside the last 24 hours of %v", req.from, req.to, now)
		}
	})
}

func FuzzCheckResponseToken(f *testing.F) {
	const secret, token = "fuzz-secret", "fuzz-token"
	f.Add(`{"response_token":"` + crc.ResponseToken(secret, token) + `"}`)
	f.Add(`{"response_token":"sha256=AAAA"}`)
	f.Add(`not json`)
	f.Fuzz(func(t *testing.T, body string) {
		err := checkResponseToken(strings.NewReader(body), secret, token)
		if err != nil && strings.Contains(err.Error(), crc.ResponseToken(secret, token)) {
			t.Errorf("error %q contains the expected response token", err)
		}
		var answer struct {
			ResponseToken string `json:"response_token"`
		}
		if err == nil {
			if json.Unmarshal([]byte(body), &answer) != nil || answer.ResponseToken != crc.ResponseToken(secret, token) {
				t.Errorf("body %q passed without the right response_token", body)
			}
		}
	})
}
