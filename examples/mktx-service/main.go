// Command mktx-service is the reference "MKT X Service": a marketing and
// customer-service back end for merchants' X accounts, assembled from the
// xactivity SDK. It answers X's CRC checks, verifies and durably stores
// every webhook delivery, turns Direct Messages into conversations and
// messages, and serves them to merchants through a JWT-authenticated API.
//
// Usage:
//
//	mktx-service [--config FILE]                      run the service
//	mktx-service token --merchant ID [--ttl 24h]      print a merchant JWT
//	mktx-service demo [--addr 127.0.0.1:5000]         run with a fake X API
//
// The demo subcommand needs no settings: it starts a fake X API and the
// service in one process, connects a demo shop and has fake customers
// write to it. See demo.go for its flags.
//
// Settings come from the environment (TWITTER__API_KEY, MKTX__JWT_SECRET and
// the others listed in the README) or from a JSON file given with --config;
// a non-empty environment variable overrides the file.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "mktx-service:", err)
		}
		os.Exit(2)
	}
}

const usage = `usage:
  mktx-service [--config FILE]                       run the service
  mktx-service token --merchant ID [--ttl 24h] [--config FILE]
                                                     print a merchant JWT
  mktx-service demo [--addr 127.0.0.1:5000] [--fake-addr 127.0.0.1:0]
                    [--customers 3] [--interval 5s] [--keep-db]
                                                     run with a fake X API and
                                                     simulated customers

Settings come from the environment or from --config FILE; see the README.
`

// run dispatches the subcommand in args. Logs go to stderr.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "token" {
		return runToken(args[1:], getenv, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "demo" {
		return runDemo(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "serve" {
		args = args[1:]
	}
	return runServe(ctx, args, getenv, stderr)
}

func runServe(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	fs := flag.NewFlagSet("mktx-service", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	configPath := fs.String("config", "", "JSON configuration `file` (appsettings.json shape)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q (subcommands such as token come first)", fs.Args())
	}
	cfg, err := LoadConfig(*configPath, getenv)
	if err != nil {
		return err
	}
	settings, err := cfg.Settings()
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: settings.LogLevel}))
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	st, err := openStore(ctx, settings.DatabaseURL)
	if err != nil {
		return err
	}
	defer func() {
		if err := st.Close(); err != nil {
			log.Error("closing the database failed", "err", err)
		}
	}()
	srv, err := newServer(settings, st, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", settings.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", settings.Addr, err)
	}
	err = srv.serve(ctx, ln)
	log.Info("service stopped")
	return err
}

func runToken(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("mktx-service token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	merchant := fs.String("merchant", "", "merchant `id` the token grants access to (required)")
	ttl := fs.Duration("ttl", 24*time.Hour, "token lifetime")
	configPath := fs.String("config", "", "JSON configuration `file` to read MKTX__JWT_SECRET from")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if strings.TrimSpace(*merchant) == "" {
		return errors.New("token: --merchant is required")
	}
	if *ttl <= 0 {
		return errors.New("token: --ttl must be positive")
	}
	cfg, err := LoadConfig(*configPath, getenv)
	if err != nil {
		return err
	}
	if cfg.Mktx.JWTSecret == "" {
		return errors.New("token: missing required setting MKTX__JWT_SECRET")
	}
	token, err := issueToken([]byte(cfg.Mktx.JWTSecret), *merchant, *ttl, time.Now())
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, token)
	return err
}
