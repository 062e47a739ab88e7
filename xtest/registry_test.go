package xtest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAddAppGeneratesFields(t *testing.T) {
	s := New()
	first, err := s.AddApp(App{})
	if err != nil {
		t.Fatal(err)
	}
	second, err := s.AddApp(App{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []App{first, second} {
		if !isDecimalID(a.ID) || a.ConsumerKey == "" || a.ConsumerSecret == "" || a.BearerToken == "" {
			t.Errorf("generated app %+v has an empty field or a non-decimal id", a)
		}
	}
	if first.ID == second.ID || first.ConsumerKey == second.ConsumerKey || first.BearerToken == second.BearerToken {
		t.Errorf("generated apps share values: %+v and %+v", first, second)
	}
	got, ok := s.App(second.ID)
	if !ok || got != second {
		t.Errorf("App(%s) = %+v, %v, want %+v, true", second.ID, got, ok, second)
	}
}

func TestAddAppSkipsTakenGeneratedID(t *testing.T) {
	s := New()
	existing, err := s.AddApp(App{ID: "20000000"})
	if err != nil {
		t.Fatal(err)
	}
	generated, err := s.AddApp(App{})
	if err != nil {
		t.Fatal(err)
	}
	if generated.ID == existing.ID {
		t.Errorf("generated id %s equals an id already registered", generated.ID)
	}
}

func TestAddAppRejects(t *testing.T) {
	tests := []struct {
		name string
		app  App
	}{
		{"letters in id", App{ID: "abc"}},
		{"leading zero", App{ID: "01"}},
		{"negative id", App{ID: "-1"}},
		{"id beyond 64 bits", App{ID: "18446744073709551616"}},
		{"duplicate id", App{ID: "7"}},
		{"duplicate consumer key", App{ConsumerKey: "key7"}},
		{"duplicate bearer token", App{BearerToken: "bearer7"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New()
			if _, err := s.AddApp(App{ID: "7", ConsumerKey: "key7", BearerToken: "bearer7"}); err != nil {
				t.Fatal(err)
			}
			if got, err := s.AddApp(tt.app); err == nil {
				t.Errorf("AddApp(%+v) = %+v, want an error", tt.app, got)
			}
		})
	}
}

func TestAddUserLargeID(t *testing.T) {
	s := New()
	app, err := s.AddApp(App{})
	if err != nil {
		t.Fatal(err)
	}
	want := User{ID: "18446744073709551615", Username: "max_id", Name: "Max", Token: "t", TokenSecret: "ts"}
	got, err := s.AddUser(app.ID, want)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("AddUser returned %+v, want %+v", got, want)
	}
	looked, ok := s.User(app.ID, want.ID)
	if !ok || looked != want {
		t.Errorf("User(%s, %s) = %+v, %v, want %+v, true", app.ID, want.ID, looked, ok, want)
	}
}

func TestAddUserTwoApps(t *testing.T) {
	s := New()
	app1, err := s.AddApp(App{})
	if err != nil {
		t.Fatal(err)
	}
	app2, err := s.AddApp(App{})
	if err != nil {
		t.Fatal(err)
	}

	u1, err := s.AddUser(app1.ID, User{Username: "shop", Name: "Shop"})
	if err != nil {
		t.Fatal(err)
	}
	u2, err := s.AddUser(app2.ID, User{ID: u1.ID})
	if err != nil {
		t.Fatal(err)
	}

	if u2.Username != "shop" {
		t.Errorf("second grant username = %q, want the stored %q", u2.Username, "shop")
	}
	if u2.Name != "Shop" {
		t.Errorf("second grant name = %q, want the stored %q", u2.Name, "Shop")
	}
	if u1.Token == u2.Token {
		t.Errorf("both apps got token %q, want one token per app", u1.Token)
	}

	for _, tt := range []struct {
		appID string
		want  User
	}{{app1.ID, u1}, {app2.ID, u2}} {
		got, ok := s.User(tt.appID, u1.ID)
		if diff := cmp.Diff(tt.want, got); !ok || diff != "" {
			t.Errorf("User(%s, %s) found=%v, mismatch (-want +got):\n%s", tt.appID, u1.ID, ok, diff)
		}
	}
}

func TestAddUserRejects(t *testing.T) {
	tests := []struct {
		name  string
		appID string
		user  User
	}{
		{"unknown app", "999", User{}},
		{"non-decimal id", "", User{ID: "12a"}},
		{"other username", "", User{ID: "5", Username: "renamed"}},
		{"other name", "", User{ID: "5", Name: "Renamed"}},
		{"username taken", "", User{ID: "6", Username: "Five"}},
		{"token taken", "", User{ID: "6", Token: "token5"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New()
			app, err := s.AddApp(App{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.AddUser(app.ID, User{ID: "5", Username: "five", Name: "Five", Token: "token5"}); err != nil {
				t.Fatal(err)
			}
			appID := tt.appID
			if appID == "" {
				appID = app.ID
			}
			if got, err := s.AddUser(appID, tt.user); err == nil {
				t.Errorf("AddUser(%s, %+v) = %+v, want an error", appID, tt.user, got)
			}
		})
	}
}

func TestUserNotGranted(t *testing.T) {
	s := New()
	app1, err := s.AddApp(App{})
	if err != nil {
		t.Fatal(err)
	}
	app2, err := s.AddApp(App{})
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.AddUser(app1.ID, User{})
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := s.User(app2.ID, u.ID); ok {
		t.Errorf("User(app2, %s) = %+v, true, want not found", u.ID, got)
	}
	if got, ok := s.User(app1.ID, "1"); ok {
		t.Errorf("User(app1, 1) = %+v, true, want not found", got)
	}
}

func TestAddDemo(t *testing.T) {
	s := NewServer()
	defer s.Close()
	app, user, err := s.AddDemo()
	if err != nil {
		t.Fatal(err)
	}
	if user.ID != "1470000000000000001" || user.Username != "shop_demo" {
		t.Errorf("demo user = %s @%s, want 1470000000000000001 @shop_demo", user.ID, user.Username)
	}
	if status, body := get(t, s.Client(app, user), s.URL()+"/2/users/me"); status != 200 {
		t.Errorf("demo credentials: status = %d, want 200; body %s", status, body)
	}
	for _, id := range []string{"1470000000000000777", "1470000000000000888"} {
		if _, ok := s.User(app.ID, id); !ok {
			t.Errorf("demo customer %s not registered", id)
		}
	}
	if _, _, err := s.AddDemo(); err == nil {
		t.Error("second AddDemo succeeded, want an error")
	}
}
