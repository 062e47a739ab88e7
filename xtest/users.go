package xtest

import (
	"encoding/json"
	"net/http"
)

// routeUsers registers the identity endpoints.
func (s *Server) routeUsers() {
	s.mux.Handle("GET /2/users/me", s.userAuth(serveUsersMe))
	s.mux.Handle("GET /1.1/account/verify_credentials.json", s.userAuth(serveVerifyCredentials))
}

// serveUsersMe responds to GET /2/users/me with the authenticated user.
// The user.fields parameter is accepted and ignored because the fake stores
// only id, name and username, which X always returns.
func serveUsersMe(w http.ResponseWriter, r *http.Request, c caller) {
	type user struct {
		ID       string `json:"id"`
		Name     string `json:"name"`
		Username string `json:"username"`
	}
	writeData(w, struct {
		Data user `json:"data"`
	}{user{ID: c.user.ID, Name: c.user.Name, Username: c.user.Username}})
}

// serveVerifyCredentials responds to GET
// /1.1/account/verify_credentials.json with the v1.1 user object of the
// authenticated user. Its id is a JSON number written with all its digits,
// so it stays exact beyond 2^53, and id_str repeats it as a string.
func serveVerifyCredentials(w http.ResponseWriter, r *http.Request, c caller) {
	writeData(w, struct {
		ID         json.Number `json:"id"`
		IDStr      string      `json:"id_str"`
		Name       string      `json:"name"`
		ScreenName string      `json:"screen_name"`
	}{json.Number(c.user.ID), c.user.ID, c.user.Name, c.user.Username})
}
