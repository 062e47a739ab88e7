package xtest

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// App is a developer app registered with the fake. Its consumer key and
// secret sign OAuth 1.0a requests, and BearerToken is its app-only token.
type App struct {
	ID             string // decimal string
	ConsumerKey    string
	ConsumerSecret string
	BearerToken    string
}

// User is an X account together with the OAuth 1.0a access token and token
// secret that the account granted to one app. The same account added for two
// apps has two tokens, and each token works only with the app it was granted
// to.
type User struct {
	ID          string // decimal string, may exceed 2^53
	Username    string // handle without "@"
	Name        string // display name
	Token       string
	TokenSecret string
}

// grant is the access token a user gave an app.
type grant struct {
	appID  string
	userID string
	secret string
}

// profile is the part of User that does not depend on the app.
type profile struct {
	id, username, name string
}

// world is the mutex-guarded registry of apps, users and tokens behind a
// Server.
type world struct {
	mu            sync.RWMutex
	apps          map[string]App    // by ID
	appsByKey     map[string]string // consumer key to app ID
	appsByBearer  map[string]string // bearer token to app ID
	users         map[string]profile
	usersByHandle map[string]string // lowercase username to user ID
	grants        map[string]grant  // by access token
	nextApp       uint64
	nextUser      uint64
}

func newWorld() *world {
	return &world{
		apps:          make(map[string]App),
		appsByKey:     make(map[string]string),
		appsByBearer:  make(map[string]string),
		users:         make(map[string]profile),
		usersByHandle: make(map[string]string),
		grants:        make(map[string]grant),
	}
}

// Generated ids start at these values. User ids start above 2^53 so that a
// client which decodes ids into float64 fails its tests.
const (
	firstAppID  = 20000000
	firstUserID = 1600000000000000000
)

// AddApp registers a and returns it as stored. Empty fields are filled with
// generated, obviously fake values that are unique within the server. It
// returns an error when the ID is not a decimal number or when the ID,
// consumer key or bearer token is already registered. AddApp is safe for
// concurrent use.
func (s *Server) AddApp(a App) (App, error) {
	w := s.world
	w.mu.Lock()
	defer w.mu.Unlock()

	if a.ID == "" {
		a.ID = w.freeID(&w.nextApp, firstAppID, func(id string) bool {
			_, exists := w.apps[id]
			return exists
		})
	}
	if a.ConsumerKey == "" {
		a.ConsumerKey = "app" + a.ID + "-consumer-key"
	}
	if a.ConsumerSecret == "" {
		a.ConsumerSecret = "app" + a.ID + "-fake-consumer-secret"
	}
	if a.BearerToken == "" {
		a.BearerToken = "app" + a.ID + "-fake-bearer-token"
	}
	if err := w.checkApp(a); err != nil {
		return App{}, err
	}
	w.apps[a.ID] = a
	w.appsByKey[a.ConsumerKey] = a.ID
	w.appsByBearer[a.BearerToken] = a.ID
	return a, nil
}

func (w *world) checkApp(a App) error {
	if !isDecimalID(a.ID) {
		return fmt.Errorf("xtest: app id %q is not a decimal number", a.ID)
	}
	if _, ok := w.apps[a.ID]; ok {
		return fmt.Errorf("xtest: app %s already exists", a.ID)
	}
	if _, ok := w.appsByKey[a.ConsumerKey]; ok {
		return fmt.Errorf("xtest: consumer key of app %s is already registered", a.ID)
	}
	if _, ok := w.appsByBearer[a.BearerToken]; ok {
		return fmt.Errorf("xtest: bearer token of app %s is already registered", a.ID)
	}
	return nil
}

// AddUser registers u, if its ID is new, and grants app appID the access
// token u.Token with secret u.TokenSecret. It returns u as stored. Empty
// fields are filled with generated, obviously fake values. When the user
// already exists, an empty Username or Name takes the stored value and a
// different one is an error.
//
// It returns an error when the app does not exist, the ID is not a decimal
// number, the username belongs to another user, or the token is already
// registered. AddUser is safe for concurrent use.
func (s *Server) AddUser(appID string, u User) (User, error) {
	w := s.world
	w.mu.Lock()
	defer w.mu.Unlock()

	if _, ok := w.apps[appID]; !ok {
		return User{}, fmt.Errorf("xtest: app %q not found", appID)
	}
	if u.ID == "" {
		u.ID = w.freeID(&w.nextUser, firstUserID, func(id string) bool {
			_, exists := w.users[id]
			return exists
		})
	}
	if !isDecimalID(u.ID) {
		return User{}, fmt.Errorf("xtest: user id %q is not a decimal number", u.ID)
	}
	p, err := w.mergeProfile(u)
	if err != nil {
		return User{}, err
	}
	u.Username, u.Name = p.username, p.name
	if u.Token == "" {
		u.Token = u.ID + "-app" + appID + "-fake-access-token"
	}
	if u.TokenSecret == "" {
		u.TokenSecret = u.ID + "-app" + appID + "-fake-token-secret"
	}
	if _, ok := w.grants[u.Token]; ok {
		return User{}, fmt.Errorf("xtest: access token of user %s is already registered", u.ID)
	}
	w.users[p.id] = p
	w.usersByHandle[strings.ToLower(p.username)] = p.id
	w.grants[u.Token] = grant{appID: appID, userID: u.ID, secret: u.TokenSecret}
	return u, nil
}

// mergeProfile returns the profile to store for u: the stored one when the
// user exists, or a new one with generated defaults.
func (w *world) mergeProfile(u User) (profile, error) {
	old, exists := w.users[u.ID]
	if exists {
		if u.Username != "" && u.Username != old.username {
			return profile{}, fmt.Errorf("xtest: user %s already exists with username %q", u.ID, old.username)
		}
		if u.Name != "" && u.Name != old.name {
			return profile{}, fmt.Errorf("xtest: user %s already exists with name %q", u.ID, old.name)
		}
		return old, nil
	}
	p := profile{id: u.ID, username: u.Username, name: u.Name}
	if p.username == "" {
		p.username = "user" + u.ID
	}
	if p.name == "" {
		p.name = "User " + u.ID
	}
	if _, exists := w.usersByHandle[strings.ToLower(p.username)]; exists {
		return profile{}, fmt.Errorf("xtest: username %q is already registered", p.username)
	}
	return p, nil
}

// freeID returns the next decimal id, counting up from first, for which
// inUse reports false.
func (w *world) freeID(next *uint64, first uint64, inUse func(string) bool) string {
	for {
		id := strconv.FormatUint(first+*next, 10)
		*next++
		if !inUse(id) {
			return id
		}
	}
}

// App returns the app with the given ID. It is safe for concurrent use.
func (s *Server) App(id string) (App, bool) {
	s.world.mu.RLock()
	defer s.world.mu.RUnlock()
	a, ok := s.world.apps[id]
	return a, ok
}

// User returns the user with the given ID together with the access token it
// granted to app appID. It reports false when the user does not exist or has
// not granted that app a token. It is safe for concurrent use.
func (s *Server) User(appID, userID string) (User, bool) {
	w := s.world
	w.mu.RLock()
	defer w.mu.RUnlock()
	p, ok := w.users[userID]
	if !ok {
		return User{}, false
	}
	for token, g := range w.grants {
		if g.appID == appID && g.userID == userID {
			return p.user(token, g.secret), true
		}
	}
	return User{}, false
}

func (p profile) user(token, secret string) User {
	return User{ID: p.id, Username: p.username, Name: p.name, Token: token, TokenSecret: secret}
}

// appByConsumerKey returns the app that owns a consumer key.
func (w *world) appByConsumerKey(key string) (App, bool) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	a, ok := w.apps[w.appsByKey[key]]
	return a, ok
}

// userByToken returns the user that granted token to app appID.
func (w *world) userByToken(appID, token string) (User, bool) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	g, ok := w.grants[token]
	if !ok || g.appID != appID {
		return User{}, false
	}
	return w.users[g.userID].user(token, g.secret), true
}

// isDecimalID reports whether id is a decimal number in canonical form that
// fits in 64 bits, the form of every X id.
func isDecimalID(id string) bool {
	n, err := strconv.ParseUint(id, 10, 64)
	return err == nil && strconv.FormatUint(n, 10) == id
}
