package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// jwtLeeway is the clock skew tolerated on exp and nbf.
const jwtLeeway = 60 * time.Second

type merchantKey struct{}

// merchantID returns the authenticated merchant of the request.
func merchantID(ctx context.Context) string {
	id, _ := ctx.Value(merchantKey{}).(string)
	return id
}

// merchantClaims are the claims the service reads from a merchant JWT.
type merchantClaims struct {
	MerchantID string `json:"merchant_id,omitempty"`
	jwt.RegisteredClaims
}

// authenticator verifies merchant JWTs: HS256 only, exp required, nbf
// honoured, both with jwtLeeway, and a non-empty merchant_id or sub.
type authenticator struct {
	secret []byte
	now    func() time.Time
}

// merchant returns the merchant id a bearer token grants, or an error that
// says why the token is invalid without repeating the token.
func (a *authenticator) merchant(header string) (string, error) {
	scheme, raw, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(raw) == "" {
		return "", errors.New("missing bearer token")
	}
	var claims merchantClaims
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(jwtLeeway),
		jwt.WithTimeFunc(a.now),
	)
	_, err := parser.ParseWithClaims(strings.TrimSpace(raw), &claims, func(*jwt.Token) (any, error) {
		return a.secret, nil
	})
	if err != nil {
		return "", fmt.Errorf("invalid bearer token: %s", jwtReason(err))
	}
	id := claims.MerchantID
	if id == "" {
		id = claims.Subject
	}
	if strings.TrimSpace(id) == "" {
		return "", errors.New("invalid bearer token: no merchant_id or sub claim")
	}
	return id, nil
}

// jwtReason names the failure class without the library's details, which
// can quote token contents.
func jwtReason(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return "expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return "not valid yet"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return "missing exp claim"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return "bad signature"
	case errors.Is(err, jwt.ErrTokenUnverifiable), errors.Is(err, jwt.ErrTokenInvalidClaims):
		return "unsupported algorithm or claims"
	default:
		return "malformed"
	}
}

// issueToken returns an HS256 merchant token valid for ttl.
func issueToken(secret []byte, merchant string, ttl time.Duration, now time.Time) (string, error) {
	claims := merchantClaims{
		MerchantID: merchant,
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   merchant,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(secret)
}

// requireMerchant wraps next so that it runs only for a valid merchant
// token, with the merchant id in the request context.
func (s *server) requireMerchant(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := s.auth.merchant(r.Header.Get("Authorization"))
		if err != nil {
			s.log.Info("request rejected", "method", r.Method, "path", r.URL.Path, "status", http.StatusUnauthorized, "reason", err.Error())
			w.Header().Set("WWW-Authenticate", `Bearer realm="mktx"`)
			writeError(w, http.StatusUnauthorized, "unauthorized", err.Error())
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), merchantKey{}, id)))
	})
}
