package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func signClaims(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestAuthenticatorTokens(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	a := &authenticator{secret: []byte(testJWTSecret), now: func() time.Time { return now }}
	key := []byte(testJWTSecret)
	exp := now.Add(time.Hour).Unix()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		token string
		want  string // merchant id, or "" for a rejected token
	}{
		{"merchant_id claim", signClaims(t, jwt.SigningMethodHS256, key, jwt.MapClaims{"merchant_id": "m1", "sub": "other", "exp": exp}), "m1"},
		{"sub fallback", signClaims(t, jwt.SigningMethodHS256, key, jwt.MapClaims{"sub": "m2", "exp": exp}), "m2"},
		{"expired", signClaims(t, jwt.SigningMethodHS256, key, jwt.MapClaims{"sub": "m", "exp": now.Add(-2 * time.Minute).Unix()}), ""},
		{"expired within leeway", signClaims(t, jwt.SigningMethodHS256, key, jwt.MapClaims{"sub": "m", "exp": now.Add(-30 * time.Second).Unix()}), "m"},
		{"nbf in the future", signClaims(t, jwt.SigningMethodHS256, key, jwt.MapClaims{"sub": "m", "exp": exp, "nbf": now.Add(2 * time.Minute).Unix()}), ""},
		{"nbf within leeway", signClaims(t, jwt.SigningMethodHS256, key, jwt.MapClaims{"sub": "m", "exp": exp, "nbf": now.Add(30 * time.Second).Unix()}), "m"},
		{"no exp", signClaims(t, jwt.SigningMethodHS256, key, jwt.MapClaims{"sub": "m"}), ""},
		{"no merchant", signClaims(t, jwt.SigningMethodHS256, key, jwt.MapClaims{"exp": exp}), ""},
		{"empty merchant", signClaims(t, jwt.SigningMethodHS256, key, jwt.MapClaims{"merchant_id": " ", "exp": exp}), ""},
		{"wrong key", signClaims(t, jwt.SigningMethodHS256, []byte("other"), jwt.MapClaims{"sub": "m", "exp": exp}), ""},
		{"HS512", signClaims(t, jwt.SigningMethodHS512, key, jwt.MapClaims{"sub": "m", "exp": exp}), ""},
		{"RS256", signClaims(t, jwt.SigningMethodRS256, rsaKey, jwt.MapClaims{"sub": "m", "exp": exp}), ""},
		{"alg none", signClaims(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, jwt.MapClaims{"sub": "m", "exp": exp}), ""},
		{"garbage", "not.a.jwt", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := a.merchant("Bearer " + tt.token)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("accepted, merchant %q", got)
				}
				if strings.Contains(err.Error(), tt.token) {
					t.Errorf("error %q repeats the token", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("merchant = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestAuthenticatorHeaderShapes(t *testing.T) {
	a := &authenticator{secret: []byte(testJWTSecret), now: time.Now}
	for _, header := range []string{"", "Bearer", "Bearer ", "Basic abc", "bearer", "Bearerxyz"} {
		if _, err := a.merchant(header); err == nil {
			t.Errorf("header %q accepted", header)
		}
	}
	tok, err := issueToken([]byte(testJWTSecret), "m9", time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, scheme := range []string{"Bearer", "bearer", "BEARER"} {
		if got, err := a.merchant(scheme + " " + tok); err != nil || got != "m9" {
			t.Errorf("scheme %q: merchant %q, %v; want m9", scheme, got, err)
		}
	}
}

func TestTokenCommand(t *testing.T) {
	var out bytes.Buffer
	env := envOf(map[string]string{"MKTX__JWT_SECRET": testJWTSecret})
	if err := run(context.Background(), []string{"token", "--merchant", "merchant-7", "--ttl", "2h"}, env, &out, nil); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	if strings.Count(text, "\n") != 1 || !strings.HasSuffix(text, "\n") {
		t.Fatalf("output %q is not exactly one line", text)
	}
	a := &authenticator{secret: []byte(testJWTSecret), now: time.Now}
	got, err := a.merchant("Bearer " + strings.TrimSpace(text))
	if err != nil || got != "merchant-7" {
		t.Fatalf("token grants %q, %v; want merchant-7", got, err)
	}
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(strings.TrimSpace(text), claims); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"merchant_id", "sub", "iat", "exp"} {
		if _, ok := claims[name]; !ok {
			t.Errorf("claim %s missing", name)
		}
	}
	lifetime := claims["exp"].(float64) - claims["iat"].(float64)
	if lifetime != 7200 {
		t.Errorf("lifetime = %v s, want 7200", lifetime)
	}
}

func TestTokenCommandErrors(t *testing.T) {
	env := envOf(map[string]string{"MKTX__JWT_SECRET": testJWTSecret})
	cases := map[string][]string{
		"no merchant":  {"token"},
		"negative ttl": {"token", "--merchant", "m", "--ttl", "-1h"},
	}
	for name, args := range cases {
		if err := run(context.Background(), args, env, &bytes.Buffer{}, nil); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := run(context.Background(), []string{"token", "--merchant", "m"}, envOf(nil), &bytes.Buffer{}, nil); err == nil ||
		!strings.Contains(err.Error(), "MKTX__JWT_SECRET") {
		t.Errorf("without a secret: error = %v, want one naming MKTX__JWT_SECRET", err)
	}
}
