package main

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
)

// credentials are an account's OAuth 1.0a access token and token secret.
type credentials struct {
	Token       string `json:"t"`
	TokenSecret string `json:"s"`
}

// sealer encrypts account credentials for storage with AES-256-GCM. Each
// ciphertext is bound to its account's merchant and X user through the
// additional data, so a row copied onto another account does not decrypt.
type sealer struct {
	aead cipher.AEAD
}

// sealVersion starts every sealed value, so the format can change later.
const sealVersion = 1

func newSealer(key []byte) (*sealer, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, errors.New("encryption key must be 32 bytes")
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &sealer{aead: aead}, nil
}

func additionalData(merchantID, xUserID string) []byte {
	return []byte("mktx-credentials/v1\x00" + merchantID + "\x00" + xUserID)
}

func (s *sealer) seal(merchantID, xUserID string, c credentials) ([]byte, error) {
	plain, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 1+s.aead.NonceSize(), 1+s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	out[0] = sealVersion
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, fmt.Errorf("generate nonce: %w", err)
	}
	return s.aead.Seal(out, out[1:], plain, additionalData(merchantID, xUserID)), nil
}

func (s *sealer) open(merchantID, xUserID string, sealed []byte) (credentials, error) {
	var c credentials
	n := s.aead.NonceSize()
	if len(sealed) < 1+n || sealed[0] != sealVersion {
		return c, errors.New("stored credentials have an unknown format")
	}
	plain, err := s.aead.Open(nil, sealed[1:1+n], sealed[1+n:], additionalData(merchantID, xUserID))
	if err != nil {
		return c, errors.New("stored credentials do not decrypt with MKTX__ENCRYPTION_KEY")
	}
	if err := json.Unmarshal(plain, &c); err != nil {
		return c, errors.New("stored credentials are corrupt")
	}
	return c, nil
}
