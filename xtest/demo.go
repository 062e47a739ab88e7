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

// demoCustomers are the users who write to @shop_demo in the repository's
// sample deliveries, registered so that DMs to them can be sent.
var demoCustomers = []User{
	{ID: "1470000000000000777", Username: "ana_cliente", Name: "Ana Cliente"},
	{ID: "1470000000000000888", Username: "bao_tran", Name: "Bao Tran"},
}

// AddDemo registers one demo app and one demo user, @shop_demo with id
// 1470000000000000001, whose access token is granted to that app. It also
// registers the two customers of the sample deliveries, @ana_cliente
// (1470000000000000777) and @bao_tran (1470000000000000888), with
// generated tokens, so that the demo account can send them DMs. The
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
	for _, c := range demoCustomers {
		if _, err := s.AddUser(app.ID, c); err != nil {
			return App{}, User{}, err
		}
	}
	return app, user, nil
}
