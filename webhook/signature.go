package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"hash"
	"strings"
	"sync"
)

// SignatureHeader is the request header that carries a delivery's
// signature. HTTP header names are case-insensitive; X sends it in lower
// case.
const SignatureHeader = "X-Twitter-Webhooks-Signature"

// signaturePrefix starts every signature header value.
const signaturePrefix = "sha256="

// strictBase64 rejects encodings whose unused trailing bits are not zero, so
// exactly one header value encodes each digest.
var strictBase64 = base64.StdEncoding.Strict()

// Errors returned by Verify, one per failure class. Each of them means the
// delivery must be rejected unprocessed.
var (
	// ErrMissingSignature reports a request without a signature header.
	ErrMissingSignature = errors.New("webhook: missing signature header")
	// ErrMalformedSignature reports a header that is not "sha256=" followed
	// by the padded standard base64 form of a 32-byte digest. Bare digests,
	// hex digests, other prefixes and truncated values fall here.
	ErrMalformedSignature = errors.New("webhook: malformed signature header")
	// ErrSignatureMismatch reports a well-formed signature that no configured
	// consumer secret produces for the body.
	ErrSignatureMismatch = errors.New("webhook: signature mismatch")
	// ErrNoSecret reports that no consumer secret, or an empty one, was
	// configured. Verification fails closed rather than accept anything.
	ErrNoSecret = errors.New("webhook: no consumer secret configured")
)

// Sign returns the signature header value X sends for body: "sha256="
// followed by the padded standard base64 encoding of HMAC-SHA256 keyed by
// the consumer secret over the exact body bytes. Tests use it to build
// deliveries.
func Sign(consumerSecret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(consumerSecret))
	mac.Write(body)
	return signaturePrefix + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// ParseSignature decodes a signature header value into its digest.
// It returns ErrMissingSignature for an empty value and
// ErrMalformedSignature for anything but "sha256=" followed by exactly 44
// characters of padded standard base64 encoding 32 bytes.
func ParseSignature(header string) ([sha256.Size]byte, error) {
	var digest [sha256.Size]byte
	header = strings.TrimSpace(header)
	if header == "" {
		return digest, ErrMissingSignature
	}
	encoded, ok := strings.CutPrefix(header, signaturePrefix)
	if !ok || len(encoded) != base64.StdEncoding.EncodedLen(sha256.Size) {
		return digest, ErrMalformedSignature
	}
	var buf [sha256.Size + 2]byte // 44 characters decode to at most 33 bytes
	n, err := strictBase64.Decode(buf[:], []byte(encoded))
	if err != nil || n != sha256.Size {
		return digest, ErrMalformedSignature
	}
	copy(digest[:], buf[:n])
	return digest, nil
}

// Verify checks a delivery's signature header value against the raw body
// under each consumer secret in turn, so a secret being rotated out can be
// accepted beside the new one. It compares digests in constant time and
// returns nil on the first match, ErrNoSecret when no secret or an empty
// one is given, and otherwise the sentinel error of the failure class.
//
// Verify over the exact bytes received, before any JSON decoding: a
// re-encoded body does not verify. For many deliveries, a Verifier is
// cheaper.
func Verify(body []byte, header string, consumerSecrets ...string) error {
	v, err := NewVerifier(consumerSecrets...)
	if err != nil {
		return err
	}
	return v.Verify(body, header)
}

// Verifier verifies delivery signatures under a fixed set of consumer
// secrets. It reuses HMAC states between calls, so it allocates little. It
// is safe for concurrent use.
type Verifier struct {
	keys []*keyedMAC
}

type keyedMAC struct {
	key  []byte
	pool sync.Pool // of *macState keyed with key
}

// macState is an HMAC state with room for its digest, pooled together so
// that computing a digest allocates nothing.
type macState struct {
	mac hash.Hash
	sum [sha256.Size]byte
}

// NewVerifier returns a Verifier that accepts a signature made with any of
// the consumer secrets, tried in order. It returns ErrNoSecret when none is
// given or one of them is empty.
func NewVerifier(consumerSecrets ...string) (*Verifier, error) {
	if len(consumerSecrets) == 0 {
		return nil, ErrNoSecret
	}
	v := &Verifier{}
	for _, s := range consumerSecrets {
		if s == "" {
			return nil, ErrNoSecret
		}
		v.keys = append(v.keys, &keyedMAC{key: []byte(s)})
	}
	return v, nil
}

// Verify checks header against body as the package-level Verify does.
func (v *Verifier) Verify(body []byte, header string) error {
	if v == nil || len(v.keys) == 0 {
		return ErrNoSecret
	}
	want, err := ParseSignature(header)
	if err != nil {
		return err
	}
	for _, k := range v.keys {
		if k.matches(body, want[:]) {
			return nil
		}
	}
	return ErrSignatureMismatch
}

func (k *keyedMAC) matches(body, want []byte) bool {
	st, _ := k.pool.Get().(*macState)
	if st == nil {
		st = &macState{mac: hmac.New(sha256.New, k.key)}
	}
	st.mac.Reset()
	st.mac.Write(body)
	ok := hmac.Equal(st.mac.Sum(st.sum[:0]), want)
	k.pool.Put(st)
	return ok
}
