package main

import (
	"bytes"
	"encoding/base64"
	"testing"
)

func testSealer(t *testing.T) *sealer {
	t.Helper()
	key, _ := base64.StdEncoding.DecodeString(testEncryptionKey)
	s, err := newSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSealerRoundTrip(t *testing.T) {
	s := testSealer(t)
	in := credentials{Token: "tok-123", TokenSecret: "very-secret-value"}
	sealed, err := s.seal("m1", "42", in)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte(in.TokenSecret)) || bytes.Contains(sealed, []byte(in.Token)) {
		t.Fatal("sealed value contains the plaintext")
	}
	out, err := s.open("m1", "42", sealed)
	if err != nil {
		t.Fatal(err)
	}
	if out != in {
		t.Errorf("opened %+v, want %+v", out, in)
	}
	again, _ := s.seal("m1", "42", in)
	if bytes.Equal(again, sealed) {
		t.Error("two seals of the same value are equal; nonces must differ")
	}
}

func TestSealerRejectsMovedOrTampered(t *testing.T) {
	s := testSealer(t)
	sealed, err := s.seal("m1", "42", credentials{Token: "t", TokenSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.open("m2", "42", sealed); err == nil {
		t.Error("opened under another merchant")
	}
	if _, err := s.open("m1", "43", sealed); err == nil {
		t.Error("opened under another X user")
	}
	tampered := append([]byte(nil), sealed...)
	tampered[len(tampered)-1] ^= 1
	if _, err := s.open("m1", "42", tampered); err == nil {
		t.Error("opened a tampered value")
	}
	if _, err := s.open("m1", "42", []byte{9, 1, 2}); err == nil {
		t.Error("opened a value of an unknown format")
	}
	other, _ := newSealer(bytes.Repeat([]byte{7}, 32))
	if _, err := other.open("m1", "42", sealed); err == nil {
		t.Error("opened with another key")
	}
}
