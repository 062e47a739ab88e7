package main

import (
	"errors"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goodgo/xactivity/store"
)

type accountView struct {
	ID            string   `json:"id"`
	TwitterUserID string   `json:"twitterUserId"`
	Username      string   `json:"username"`
	Status        string   `json:"status"`
	CreatedAt     timeJSON `json:"createdAt"`
	UpdatedAt     timeJSON `json:"updatedAt"`
}

func viewAccount(a store.Account) accountView {
	return accountView{
		ID:            a.ID,
		TwitterUserID: a.XUserID,
		Username:      a.Username,
		Status:        string(a.Status),
		CreatedAt:     timeJSON(a.CreatedAt),
		UpdatedAt:     timeJSON(a.UpdatedAt),
	}
}

type connectRequest struct {
	OAuthToken       string `json:"oauthToken"`
	OAuthTokenSecret string `json:"oauthTokenSecret"`
}

// connectAccount connects the account of an OAuth access token that the
// merchant obtained itself.
func (s *server) connectAccount(w http.ResponseWriter, r *http.Request) {
	merchant := merchantID(r.Context())
	var req connectRequest
	if status, err := decodeJSON(w, r, &req); err != nil {
		s.rejectRequest(w, r, status, "invalid_request", err.Error())
		return
	}
	req.OAuthToken = strings.TrimSpace(req.OAuthToken)
	req.OAuthTokenSecret = strings.TrimSpace(req.OAuthTokenSecret)
	if req.OAuthToken == "" || req.OAuthTokenSecret == "" {
		s.rejectRequest(w, r, http.StatusBadRequest, "invalid_request", "oauthToken and oauthTokenSecret are required")
		return
	}
	s.connectCredentials(w, r, merchant, credentials{Token: req.OAuthToken, TokenSecret: req.OAuthTokenSecret})
}

// connectCredentials verifies an OAuth access token with X (GET
// /2/users/me), creates or reconnects the merchant's account of that X user
// with it, and writes the response as storeAccount does. A failed X call
// gets the response of writeXError.
func (s *server) connectCredentials(w http.ResponseWriter, r *http.Request, merchant string, creds credentials) {
	user, err := s.x.me(r.Context(), creds.Token, creds.TokenSecret)
	if err != nil {
		s.writeXError(w, r, err)
		return
	}
	s.storeAccount(w, r, merchant, user, creds)
}

// storeAccount creates or reconnects the merchant's account of the X user
// with the user's verified access token, and writes the response. The
// status is 201 for a new account and 200 when the merchant reconnects its
// account, which also reactivates a revoked one. Another merchant's account
// gets 409. It returns the account and true when the account was stored.
func (s *server) storeAccount(w http.ResponseWriter, r *http.Request, merchant string, user xUser, creds credentials) (store.Account, bool) {
	sealed, err := s.sealer.seal(merchant, user.ID, creds)
	if err != nil {
		s.internalError(w, r, "seal credentials", err)
		return store.Account{}, false
	}
	acct, created, err := s.store.ConnectAccount(r.Context(), store.Account{
		MerchantID:  merchant,
		XUserID:     user.ID,
		Username:    user.Username,
		Credentials: sealed,
	})
	if errors.Is(err, store.ErrConflict) {
		s.rejectRequest(w, r, http.StatusConflict, "account_connected_elsewhere", "this X account is connected by another merchant")
		return store.Account{}, false
	}
	if err != nil {
		s.internalError(w, r, "store account", err)
		return store.Account{}, false
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	s.log.Info("account connected", "merchant", merchant, "account", acct.ID, "x_user", acct.XUserID, "created", created)
	writeData(w, status, viewAccount(acct))
	return acct, true
}

// writeXError responds to a failed X call: 400 when X rejected the token, 429
// with Retry-After when X rate-limited the call, 502 otherwise.
func (s *server) writeXError(w http.ResponseWriter, r *http.Request, err error) {
	var limited *xRateLimited
	switch {
	case errors.Is(err, errXRejected):
		s.rejectRequest(w, r, http.StatusBadRequest, "invalid_oauth_token", "X rejected the OAuth token and secret; create a new access token and try again")
	case errors.As(err, &limited):
		wait := max(1, int(math.Ceil(time.Until(limited.Reset).Seconds())))
		w.Header().Set("Retry-After", strconv.Itoa(wait))
		s.rejectRequest(w, r, http.StatusTooManyRequests, "x_rate_limited", "X rate-limited the call; retry after the Retry-After delay")
	default:
		s.log.Error("X API call failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeError(w, http.StatusBadGateway, "x_unavailable", "the X API call failed or timed out; try again later")
	}
}

// listAccounts lists the merchant's accounts, oldest first, a page at a
// time. The cursor is the id of the last account of the previous page.
func (s *server) listAccounts(w http.ResponseWriter, r *http.Request) {
	limit, err := parseLimit(r)
	if err != nil {
		s.rejectRequest(w, r, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	accounts, err := s.store.Accounts(r.Context(), merchantID(r.Context()))
	if err != nil {
		s.internalError(w, r, "list accounts", err)
		return
	}
	start := 0
	if cursor := r.URL.Query().Get("cursor"); cursor != "" {
		i := slices.IndexFunc(accounts, func(a store.Account) bool { return a.ID == cursor })
		if i < 0 {
			s.rejectRequest(w, r, http.StatusBadRequest, "invalid_request", "invalid cursor")
			return
		}
		start = i + 1
	}
	page := accounts[start:min(len(accounts), start+limit)]
	views := make([]accountView, 0, len(page))
	for _, a := range page {
		views = append(views, viewAccount(a))
	}
	next := ""
	if start+limit < len(accounts) {
		next = page[len(page)-1].ID
	}
	writeList(w, views, next)
}

func (s *server) getAccount(w http.ResponseWriter, r *http.Request) {
	acct, err := s.store.Account(r.Context(), merchantID(r.Context()), r.PathValue("id"))
	if s.storeError(w, r, "account", err) {
		return
	}
	writeData(w, http.StatusOK, viewAccount(acct))
}

// storeError writes the response for err when it is not nil and reports whether it did:
// 404 for store.ErrNotFound, 400 for store.ErrInvalid (a bad cursor), 500
// otherwise.
func (s *server) storeError(w http.ResponseWriter, r *http.Request, what string, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, store.ErrNotFound):
		s.rejectRequest(w, r, http.StatusNotFound, "not_found", what+" not found")
	case errors.Is(err, store.ErrInvalid):
		s.rejectRequest(w, r, http.StatusBadRequest, "invalid_request", "invalid cursor or query parameter")
	default:
		s.internalError(w, r, "load "+what, err)
	}
	return true
}

func (s *server) rejectRequest(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	s.log.Info("request rejected", "method", r.Method, "path", r.URL.Path, "status", status, "reason", message)
	writeError(w, status, code, message)
}

func (s *server) internalError(w http.ResponseWriter, r *http.Request, op string, err error) {
	s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "op", op, "err", err)
	writeError(w, http.StatusInternalServerError, "internal_error", "the request failed on the server; try again later")
}
