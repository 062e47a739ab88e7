package xtest

// The demo credentials. They are printable on purpose and grant nothing
// outside a fake server.
var (
	demoApp = App{
		ID:             "1470000000000000000",
		ConsumerKey:    "demo-consumer-key",
		ConsumerSecret: "demo-consumer-secret-NOT-A-REAL-SECRET",
		BearerToken:    "demo-bearer-token-NOT-A-REAL-TOKEN",
	}
	demoUser = User{
		ID:          "1470000000000000001",
		Username:    "shop_demo",
		Name:        "Shop Demo",
		Token:       "1470000000000000001-demo-access-token",
		TokenSecret: "demo-token-secret-NOT-A-REAL-SECRET",
	}
)

// AddDemo registers one demo app and one demo user, @shop_demo with id
// 1470000000000000001, whose access token is granted to that app. The
// credentials are fixed, obviously fake strings, the same for every server,
// so a command can print them and a client can be configured with them.
// It returns an error when they are already registered.
func (s *Server) AddDemo() (App, User, error) {
	app, err := s.AddApp(demoApp)
	if err != nil {
		return App{}, User{}, err
	}
	user, err := s.AddUser(app.ID, demoUser)
	if err != nil {
		return App{}, User{}, err
	}
	return app, user, nil
}
