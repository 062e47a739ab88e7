package webhook_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/goodgo/xactivity/internal/fixtures"
	"github.com/goodgo/xactivity/webhook"
)

func TestSignVectors(t *testing.T) {
	v := fixtures.LoadVectors(t)
	for _, vec := range v.Signature {
		t.Run(vec.Body, func(t *testing.T) {
			if got := webhook.Sign(vec.ConsumerSecret, []byte(vec.Body)); got != vec.Header {
				t.Errorf("Sign = %q, want %q", got, vec.Header)
			}
			if err := webhook.Verify([]byte(vec.Body), vec.Header, vec.ConsumerSecret); err != nil {
				t.Errorf("Verify: %v", err)
			}
		})
	}
}

func TestVerifyEveryDelivery(t *testing.T) {
	secret := fixtures.LoadVectors(t).DeliveriesSecret
	for _, d := range fixtures.LoadDeliveries(t) {
		t.Run(d.Name, func(t *testing.T) {
			if got := webhook.Sign(secret, d.Body); got != d.Signature {
				t.Errorf("Sign = %q, want %q", got, d.Signature)
			}
			if err := webhook.Verify(d.Body, d.Signature, secret); err != nil {
				t.Errorf("Verify: %v", err)
			}
		})
	}
}

func TestParseSignature(t *testing.T) {
	body := []byte(`{"for_user_id":"1"}`)
	valid := webhook.Sign("s", body)
	digest := strings.TrimPrefix(valid, "sha256=")
	tests := []struct {
		name   string
		header string
		want   error
	}{
		{"valid", valid, nil},
		{"surrounding space", " " + valid + " ", nil},
		{"empty", "", webhook.ErrMissingSignature},
		{"blank", "   ", webhook.ErrMissingSignature},
		{"bare digest", digest, webhook.ErrMalformedSignature},
		{"hex digest", "sha256=" + strings.Repeat("ab", 32), webhook.ErrMalformedSignature},
		{"other prefix", "sha1=" + digest, webhook.ErrMalformedSignature},
		{"upper-case prefix", "SHA256=" + digest, webhook.ErrMalformedSignature},
		{"truncated", valid[:len(valid)-1], webhook.ErrMalformedSignature},
		{"unpadded", strings.TrimRight(valid, "="), webhook.ErrMalformedSignature},
		{"extra character", valid + "A", webhook.ErrMalformedSignature},
		{"url-safe alphabet", "sha256=" + strings.Repeat("_", 43) + "=", webhook.ErrMalformedSignature},
		{"prefix only", "sha256=", webhook.ErrMalformedSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := webhook.ParseSignature(tt.header)
			if !errors.Is(err, tt.want) {
				t.Errorf("ParseSignature(%q) error = %v, want %v", tt.header, err, tt.want)
			}
		})
	}
}

func TestVerifyFailureClasses(t *testing.T) {
	body := []byte(`{"for_user_id":"1","direct_message_events":[]}`)
	good := webhook.Sign("current", body)
	tests := []struct {
		name    string
		body    []byte
		header  string
		secrets []string
		want    error
	}{
		{"current secret", body, good, []string{"current"}, nil},
		{"rotated: old listed second", body, webhook.Sign("old", body), []string{"current", "old"}, nil},
		{"rotated: new listed second", body, good, []string{"old", "current"}, nil},
		{"wrong secret", body, good, []string{"other"}, webhook.ErrSignatureMismatch},
		{"body changed", append([]byte(" "), body...), good, []string{"current"}, webhook.ErrSignatureMismatch},
		{"missing header", body, "", []string{"current"}, webhook.ErrMissingSignature},
		{"hex digest", body, "sha256=" + strings.Repeat("0", 64), []string{"current"}, webhook.ErrMalformedSignature},
		{"no secret", body, good, nil, webhook.ErrNoSecret},
		{"empty secret", body, good, []string{""}, webhook.ErrNoSecret},
		{"empty secret beside a good one", body, good, []string{"current", ""}, webhook.ErrNoSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := webhook.Verify(tt.body, tt.header, tt.secrets...)
			if !errors.Is(err, tt.want) {
				t.Errorf("Verify error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestVerifyErrorsHideSecrets(t *testing.T) {
	body := []byte(`{}`)
	expected := webhook.Sign("top-secret-value", body)
	for _, header := range []string{webhook.Sign("wrong", body), "sha256=zz", ""} {
		err := webhook.Verify(body, header, "top-secret-value")
		if err == nil {
			t.Fatalf("Verify(%q) succeeded", header)
		}
		msg := err.Error()
		if strings.Contains(msg, "top-secret-value") || strings.Contains(msg, expected[7:]) {
			t.Errorf("error %q reveals the secret or the expected digest", msg)
		}
	}
}

func TestVerifierRejectsEverySingleByteChange(t *testing.T) {
	v := fixtures.LoadVectors(t)
	verifier, err := webhook.NewVerifier(v.DeliveriesSecret)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range fixtures.LoadDeliveries(t) {
		body := append([]byte(nil), d.Body...)
		for i := range body {
			body[i] ^= 0x01
			if err := verifier.Verify(body, d.Signature); !errors.Is(err, webhook.ErrSignatureMismatch) {
				t.Fatalf("%s: byte %d flipped: Verify error = %v, want ErrSignatureMismatch", d.Name, i, err)
			}
			body[i] ^= 0x01
		}
		if err := verifier.Verify(body, d.Signature); err != nil {
			t.Fatalf("%s: restored body: %v", d.Name, err)
		}
	}
}

func TestVerifierConcurrentUse(t *testing.T) {
	verifier, err := webhook.NewVerifier("a", "b")
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"x":1}`)
	done := make(chan error)
	for i := range 8 {
		go func() {
			secret := []string{"a", "b"}[i%2]
			var err error
			for range 200 {
				if e := verifier.Verify(body, webhook.Sign(secret, body)); e != nil {
					err = e
				}
			}
			done <- err
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

func FuzzParseSignature(f *testing.F) {
	f.Add("sha256=25Cu3iwbbiqBTwQRzcKJZwisjf736V2Q8UaTlkfLSoc=")
	f.Add("sha256=")
	f.Add("")
	f.Add("sha256=" + strings.Repeat("ab", 32))
	f.Fuzz(func(t *testing.T, header string) {
		digest, err := webhook.ParseSignature(header)
		if err != nil {
			if !errors.Is(err, webhook.ErrMissingSignature) && !errors.Is(err, webhook.ErrMalformedSignature) {
				t.Fatalf("unexpected error class %v", err)
			}
			return
		}
		// Whatever parses must be the canonical encoding of its digest.
		canonical := "sha256=" + base64.StdEncoding.EncodeToString(digest[:])
		if trimmed := strings.TrimSpace(header); trimmed != canonical {
			t.Fatalf("accepted %q, whose canonical form is %q", trimmed, canonical)
		}
	})
}

func BenchmarkVerify(b *testing.B) {
	v := fixtures.LoadVectors(b)
	d := fixtures.LoadDelivery(b, "dm_received.json")
	verifier, err := webhook.NewVerifier(v.DeliveriesSecret)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(d.Body)))
	b.ReportAllocs()
	for b.Loop() {
		if err := verifier.Verify(d.Body, d.Signature); err != nil {
			b.Fatal(err)
		}
	}
}
