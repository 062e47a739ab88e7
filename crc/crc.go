// Package crc answers X's challenge-response check (CRC).
//
// X proves that a webhook URL belongs to the app by sending
// GET <url>?crc_token=<token>. The endpoint must answer 200 with
// Content-Type application/json and the body
//
//	{"response_token":"sha256=<base64>"}
//
// where <base64> is the padded standard base64 encoding of HMAC-SHA256 keyed
// by the app's consumer secret (API key secret) over the token. X sends the
// check when a webhook is registered, when it is revalidated, and
// periodically afterwards.
//
// # Signing-oracle guard
//
// Delivery bodies are signed with the same key and construction as CRC
// answers. An endpoint that signed any token would let an attacker obtain a
// valid signature for a forged JSON body by sending that body as crc_token.
// ValidToken therefore accepts only short tokens over an opaque alphabet
// (letters, digits and + / = _ . -), which X's tokens, UUIDs among them,
// satisfy and no JSON document does.
package crc

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"hash"
)

// MaxTokenLen is the longest crc_token that ValidToken accepts, in bytes.
const MaxTokenLen = 256

// prefix starts every response token and every body signature.
const prefix = "sha256="

// tokenLen is the length of a response token: the prefix and the padded
// base64 form of a 32-byte digest.
var tokenLen = len(prefix) + base64.StdEncoding.EncodedLen(sha256.Size)

// ResponseToken returns the response_token value for token under the app's
// consumer secret: "sha256=" followed by the padded standard base64 encoding
// of HMAC-SHA256(consumerSecret, token). It does not check the token; callers
// that answer requests from the network must check it with ValidToken first.
func ResponseToken(consumerSecret, token string) string {
	return string(appendResponseToken(make([]byte, 0, tokenLen), consumerSecret, token))
}

func appendResponseToken(dst []byte, consumerSecret, token string) []byte {
	mac := hmac.New(sha256.New, []byte(consumerSecret))
	return appendMAC(dst, mac, token)
}

// appendMAC appends the response token for token computed with mac, a
// freshly reset HMAC-SHA256. It uses dst's spare capacity as scratch space
// for the token bytes, so it allocates nothing when dst is large enough.
func appendMAC(dst []byte, mac hash.Hash, token string) []byte {
	start := len(dst)
	dst = append(dst, token...)
	mac.Write(dst[start:])
	dst = mac.Sum(dst[:start])
	var sum [sha256.Size]byte
	copy(sum[:], dst[start:])
	dst = append(dst[:start], prefix...)
	return base64.StdEncoding.AppendEncode(dst, sum[:])
}

// ValidToken reports whether token may be signed: it is 1 to MaxTokenLen
// bytes long and every byte is an ASCII letter or digit or one of + / = _ . -.
func ValidToken(token string) bool {
	if len(token) == 0 || len(token) > MaxTokenLen {
		return false
	}
	for i := 0; i < len(token); i++ {
		if !tokenByte[token[i]] {
			return false
		}
	}
	return true
}

var tokenByte = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "+/=_.-" {
		t[c] = true
	}
	return t
}()
