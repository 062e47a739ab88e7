// Command xactivity is the operators' tool for the xactivity SDK and the
// MKT X Service.
//
// Usage:
//
//	xactivity crc [--secret S] TOKEN               print the CRC answer for TOKEN
//	xactivity sign [--secret S] FILE               print the signature header value for FILE
//	xactivity send [--url URL] [--secret S] FILE...
//	                                               post files as signed deliveries
//	xactivity fake-x [--addr ADDR] [--allow-remote]
//	                                               run the fake X API with demo credentials
//	xactivity check-url [--secret S] [--timeout D] URL
//	                                               run X's CRC check against URL and diagnose it
//	xactivity webhooks create [--insecure-url] URL register URL as the app's webhook
//	xactivity webhooks list                        list the app's webhooks
//	xactivity webhooks validate ID                 ask X to run the CRC check of a webhook again
//	xactivity webhooks delete ID                   delete a webhook and its subscriptions
//	xactivity subscriptions add [--webhook ID] [--token T --token-secret S]
//	                                               subscribe the access token's user
//	xactivity subscriptions list [--webhook ID]    list the subscribed users of a webhook
//	xactivity subscriptions count                  print the app's subscription counts
//	xactivity subscriptions remove [--webhook ID] USER_ID
//	                                               remove a user's subscription
//	xactivity replay [--webhook ID] --from T --to T
//	                                               ask X to deliver a past window again
//
// The consumer secret defaults to TWITTER__API_KEY_SECRET, the variable the
// service reads. Flags may come before or after the file arguments.
//
// The webhook, subscription and replay commands read their credentials from
// the variables that mktx-service reads. App-only calls use
// TWITTER__BEARER_TOKEN. Subscribing a user uses TWITTER__API_KEY,
// TWITTER__API_KEY_SECRET, TWITTER__ACCESS_TOKEN and
// TWITTER__ACCESS_TOKEN_SECRET. TWITTER__API_VERSION selects the API
// generation: 2 (the default), 1.1-enterprise or 1.1-premium with
// TWITTER__ENV_NAME. On v1.1, webhooks create, validate and delete run in
// the app owner's user context: they need the app owner's
// TWITTER__ACCESS_TOKEN and TWITTER__ACCESS_TOKEN_SECRET with the consumer
// key and secret, and no bearer token. TWITTER__API_BASE_URL defaults to
// https://api.x.com. Without --webhook the commands act on the app's only
// webhook.
//
// replay takes a window of whole minutes. On v2, X replays the last 24
// hours and includes the minute of --to. On 1.1-enterprise, X replays the
// last 5 days and excludes the minute of --to. 1.1-premium has no replay.
//
// These commands and check-url print text, or with --json one JSON
// document. --json may come before or after the command. With --json, a
// failure without a result prints {"error": {...}} on stdout, and stderr
// does not repeat the message. No command prints a credential.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitStatus(err, os.Stderr))
}

// exitStatus prints err to stderr unless the command already printed it,
// and returns the process's exit status: 0 on success, 2 after a request
// for help (-h), and 1 for every other error.
func exitStatus(err error, stderr io.Writer) int {
	var reported *reportedError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 2
	case !errors.As(err, &reported):
		fmt.Fprintln(stderr, "xactivity:", err)
	}
	return 1
}

// reportedError is an error that the command already printed, as the JSON
// document of --json output, so exitStatus does not print it again.
type reportedError struct{ err error }

func (e *reportedError) Error() string { return e.err.Error() }

func (e *reportedError) Unwrap() error { return e.err }

const usage = `usage: xactivity COMMAND [flags] [args]

commands:
  crc [--secret S] TOKEN                 print the CRC response_token for TOKEN
  sign [--secret S] FILE                 print the x-twitter-webhooks-signature value for FILE ("-" for stdin)
  send [--url URL] [--secret S] FILE...  post each FILE as a signed webhook delivery
  fake-x [--addr ADDR] [--allow-remote]  run the fake X API with a demo app and user, on a
                                         loopback address unless --allow-remote is given:
                                         its demo credentials are public, and it sends requests
                                         to any URL a caller registers
  check-url [--secret S] [--timeout D] URL
                                         run X's CRC check against URL before registering it,
                                         and diagnose every problem found
  webhooks create [--insecure-url] URL   register URL as the app's webhook (X runs its CRC check)
  webhooks list                          list the app's webhooks
  webhooks validate ID                   ask X to run the CRC check of webhook ID again
  webhooks delete ID                     delete webhook ID and its subscriptions
  subscriptions add [--webhook ID] [--token T --token-secret S]
                                         subscribe the access token's user to the webhook
  subscriptions list [--webhook ID]      list the users subscribed to the webhook
  subscriptions count                    print the app's subscription counts
  subscriptions remove [--webhook ID] USER_ID
                                         remove the subscription of USER_ID
  replay [--webhook ID] --from T --to T  ask X to deliver the events from T to T again;
                                         T is UTC yyyymmddhhmm or RFC 3339

The consumer secret defaults to $TWITTER__API_KEY_SECRET.
The webhook, subscription and replay commands read $TWITTER__BEARER_TOKEN (app-only calls),
$TWITTER__API_KEY, $TWITTER__API_KEY_SECRET, $TWITTER__ACCESS_TOKEN and
$TWITTER__ACCESS_TOKEN_SECRET (subscribing a user) and $TWITTER__API_BASE_URL
(default https://api.x.com). Without --webhook they use the app's only webhook.
They and check-url take --json, before or after the command, to print one JSON
document instead of text; errors are then JSON on stdout too.

$TWITTER__API_VERSION selects the API generation: 2 (default), 1.1-enterprise, or
1.1-premium with $TWITTER__ENV_NAME. On v1.1, webhooks create, validate and delete
run in the app owner's user context: they need the app owner's $TWITTER__ACCESS_TOKEN
and $TWITTER__ACCESS_TOKEN_SECRET with $TWITTER__API_KEY and $TWITTER__API_KEY_SECRET,
and no bearer token.

replay windows are whole minutes: on v2, X replays the last 24 hours and includes
the minute of --to; on 1.1-enterprise, the last 5 days, excluding the minute of --to.
1.1-premium has no replay.
`

// env is the process environment and standard streams of one run.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// transport sends the requests to X and to webhook URLs; nil means
	// http.DefaultTransport. Tests set it.
	transport http.RoundTripper
}

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	e := env{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	return e.run(ctx, args)
}

// textOnlyCommands are the commands without --json output.
var textOnlyCommands = map[string]bool{"crc": true, "sign": true, "send": true, "fake-x": true}

// run runs the command in args. A --json flag may come anywhere before a
// lone "--", even before the command. run moves it to the end of the
// command's arguments, where the command's flag set parses it, and prints
// as JSON any error that the command did not print.
func (e env) run(ctx context.Context, args []string) error {
	args, asJSON, jsonGiven := extractJSONFlag(args)
	if len(args) == 0 {
		fmt.Fprint(e.stderr, usage)
		return flag.ErrHelp
	}
	if command := args[0]; jsonGiven && textOnlyCommands[command] {
		return fmt.Errorf("%s: --json is not supported: %s prints no JSON; check-url, webhooks, subscriptions and replay take --json", command, command)
	}
	if asJSON && len(args) > 1 {
		// A command without arguments fails before it parses flags, and
		// one with subcommands would read --json as the subcommand. The
		// JSON error below reports that failure.
		args = appendFlag(args, "--json")
	}
	err := e.dispatch(ctx, args)
	if asJSON {
		err = output{w: e.stdout, json: &asJSON}.fail(err)
	}
	return err
}

func (e env) dispatch(ctx context.Context, args []string) error {
	stdout, stderr := e.stdout, e.stderr
	switch args[0] {
	case "crc":
		return e.crc(args[1:])
	case "sign":
		return e.sign(args[1:])
	case "send":
		return e.send(ctx, args[1:])
	case "fake-x":
		return e.fakeX(ctx, args[1:])
	case "check-url":
		return e.checkURL(ctx, args[1:])
	case "webhooks":
		return e.webhooks(ctx, args[1:])
	case "subscriptions":
		return e.subscriptions(ctx, args[1:])
	case "replay":
		return e.replay(ctx, args[1:])
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", args[0])
	}
}

// extractJSONFlag removes the --json flags (-json, --json and
// --json=BOOL) before a lone "--" from args. It returns the other
// arguments, the value of the last of those flags, and whether there was
// one. A --json with a value that is not a boolean stays in args, so that
// the command's flag set reports it.
func extractJSONFlag(args []string) (rest []string, asJSON, found bool) {
	for i, arg := range args {
		if arg == "--" {
			return append(rest, args[i:]...), asJSON, found
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		if name != "json" || !strings.HasPrefix(arg, "-") || strings.HasPrefix(arg, "---") {
			rest = append(rest, arg)
			continue
		}
		v := true
		if hasValue {
			parsed, err := strconv.ParseBool(value)
			if err != nil {
				rest = append(rest, arg)
				continue
			}
			v = parsed
		}
		asJSON, found = v, true
	}
	return rest, asJSON, found
}

// appendFlag returns args with the flag argument added before a lone
// "--", or at the end when there is none.
func appendFlag(args []string, argument string) []string {
	end := slices.Index(args, "--")
	if end < 0 {
		return append(slices.Clip(args), argument)
	}
	return slices.Insert(slices.Clip(args), end, argument)
}

// parseFlags parses args with fs, accepting flags after positional
// arguments too, and returns the positional arguments. A lone "--" ends the
// flags. On an invalid flag it prints the flag set's usage to the flag
// set's output but not the error itself, because the caller returns the
// error and exitStatus or --json prints it once.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var flags, positional []string
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			positional = append(positional, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(arg, "-") || arg == "-" {
			positional = append(positional, arg)
			continue
		}
		flags = append(flags, arg)
		name := strings.TrimLeft(arg, "-")
		if strings.Contains(name, "=") {
			continue
		}
		if f := fs.Lookup(name); f != nil && !isBoolFlag(f) && i+1 < len(args) {
			i++
			flags = append(flags, args[i])
		}
	}
	output := fs.Output()
	var printed bytes.Buffer
	fs.SetOutput(&printed)
	err := fs.Parse(flags)
	fs.SetOutput(output)
	if err != nil {
		// The flag package prints the error's message on the first line,
		// then the usage.
		text := printed.String()
		if !errors.Is(err, flag.ErrHelp) {
			text = strings.TrimPrefix(text, err.Error()+"\n")
		}
		io.WriteString(output, text)
		return nil, err
	}
	return positional, nil
}

func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// secretFlag adds the --secret flag, defaulting to TWITTER__API_KEY_SECRET.
func (e env) secretFlag(fs *flag.FlagSet) *string {
	return fs.String("secret", "", "app consumer `secret` (default $TWITTER__API_KEY_SECRET)")
}

func (e env) secret(flagValue string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	if v := e.getenv("TWITTER__API_KEY_SECRET"); v != "" {
		return v, nil
	}
	return "", errors.New("no consumer secret: pass --secret or set TWITTER__API_KEY_SECRET")
}
