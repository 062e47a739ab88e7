package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/goodgo/xactivity/accountactivity"
)

// Config is the service's configuration. Each field is read from an
// environment variable (the env tag) or from the JSON configuration file
// (section and key from the json tags of the section structs); a non-empty
// environment variable overrides the file.
type Config struct {
	Twitter TwitterConfig
	Mktx    MktxConfig
}

// TwitterConfig is the "Twitter" section: the X app and API settings.
type TwitterConfig struct {
	APIKey               setting `json:"ApiKey" env:"TWITTER__API_KEY"`
	APIKeySecret         setting `json:"ApiKeySecret" env:"TWITTER__API_KEY_SECRET"`
	BearerToken          setting `json:"BearerToken" env:"TWITTER__BEARER_TOKEN"`
	AccessToken          setting `json:"AccessToken" env:"TWITTER__ACCESS_TOKEN"`
	AccessTokenSecret    setting `json:"AccessTokenSecret" env:"TWITTER__ACCESS_TOKEN_SECRET"`
	WebhookURL           setting `json:"WebhookUrl" env:"TWITTER__WEBHOOK_URL"`
	CallbackURL          setting `json:"CallbackUrl" env:"TWITTER__CALLBACK_URL"`
	APIBaseURL           setting `json:"ApiBaseUrl" env:"TWITTER__API_BASE_URL"`
	APIVersion           setting `json:"ApiVersion" env:"TWITTER__API_VERSION"`
	EnvName              setting `json:"EnvName" env:"TWITTER__ENV_NAME"`
	PreviousAPIKeySecret setting `json:"PreviousApiKeySecret" env:"TWITTER__PREVIOUS_API_KEY_SECRET"`
}

// MktxConfig is the "Mktx" section: the service's own settings.
type MktxConfig struct {
	Addr                   setting `json:"Addr" env:"MKTX__ADDR"`
	WebhookMaxBodyBytes    setting `json:"WebhookMaxBodyBytes" env:"MKTX__WEBHOOK_MAX_BODY_BYTES"`
	DatabaseURL            setting `json:"DatabaseUrl" env:"MKTX__DATABASE_URL"`
	JWTSecret              setting `json:"JwtSecret" env:"MKTX__JWT_SECRET"`
	EncryptionKey          setting `json:"EncryptionKey" env:"MKTX__ENCRYPTION_KEY"`
	DMDailyLimit           setting `json:"DmDailyLimit" env:"MKTX__DM_DAILY_LIMIT"`
	APIRateLimit           setting `json:"ApiRateLimit" env:"MKTX__API_RATE_LIMIT"`
	WebhookEventsPerMinute setting `json:"WebhookEventsPerMinute" env:"MKTX__WEBHOOK_EVENTS_PER_MINUTE"`
	CampaignDailyContacts  setting `json:"CampaignDailyContacts" env:"MKTX__CAMPAIGN_DAILY_CONTACTS"`
	OptOutKeywords         setting `json:"OptOutKeywords" env:"MKTX__OPT_OUT_KEYWORDS"`
	OptInKeywords          setting `json:"OptInKeywords" env:"MKTX__OPT_IN_KEYWORDS"`
	InboxLease             setting `json:"InboxLease" env:"MKTX__INBOX_LEASE"`
	LogLevel               setting `json:"LogLevel" env:"MKTX__LOG_LEVEL"`
	WebhookCheckInterval   setting `json:"WebhookCheckInterval" env:"MKTX__WEBHOOK_CHECK_INTERVAL"`
}

// setting is one configuration value. In the JSON file it may be written
// as a string, a number or a boolean.
type setting string

// UnmarshalJSON accepts a JSON string, number or boolean.
func (s *setting) UnmarshalJSON(data []byte) error {
	var str string
	if err := json.Unmarshal(data, &str); err == nil {
		*s = setting(str)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(data, &n); err == nil {
		*s = setting(n.String())
		return nil
	}
	var b bool
	if err := json.Unmarshal(data, &b); err == nil {
		*s = setting(strconv.FormatBool(b))
		return nil
	}
	return fmt.Errorf("want a string, number or boolean, got %s", data)
}

// minJWTSecretBytes is the shortest HS256 key the service accepts. A short
// key can be found by brute force from any token it signed.
const minJWTSecretBytes = 16

// Settings is the validated configuration in the types the service uses.
type Settings struct {
	ConsumerKey     string
	ConsumerSecrets []string // current first, then the previous one if set
	BearerToken     string
	// OwnerToken and OwnerTokenSecret are the app owner's OAuth 1.0a
	// token, which v1.1 needs to register and re-validate webhooks.
	OwnerToken       string
	OwnerTokenSecret string
	WebhookURL       string
	CallbackURL      string // the OAuth callback; empty when neither it nor WebhookURL is set
	APIBaseURL       string
	APIVersion       string
	EnvName          string
	Addr             string
	MaxBodyBytes     int64
	DatabaseURL      string
	JWTSecret        []byte
	EncryptionKey    []byte
	DMDailyLimit     int
	APIRateLimit     int
	EventsPerMinute  int
	CampaignContacts int
	ShutdownTimeout  time.Duration
	InboxLease       time.Duration // how long a worker claim lasts
	// WebhookCheckInterval is how often the webhook health watcher polls
	// X's webhook list; zero selects the watcher's default for the API
	// generation.
	WebhookCheckInterval time.Duration
	LogLevel             slog.Level

	// OptOutKeywords and OptInKeywords are the texts of an inbound DM
	// that opt its sender out of the account's campaigns or back in,
	// compared without case and surrounding space. The first of each is
	// the one that the service's own DMs mention.
	OptOutKeywords []string
	OptInKeywords  []string

	// insecureWebhookURL lets tests register http webhook URLs with a
	// fake X; no setting turns it on.
	insecureWebhookURL bool
	// watchStart, when not nil, holds the webhook watcher back until it is
	// closed. The demo closes it once it registered the webhook, so the
	// first poll does not report a missing webhook. No setting sets it.
	watchStart <-chan struct{}
}

// LoadConfig reads the JSON file at path (when path is not empty) and then
// the environment through getenv.
func LoadConfig(path string, getenv func(string) string) (Config, error) {
	var c Config
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return c, fmt.Errorf("read config file: %w", err)
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			return c, fmt.Errorf("config file %s is not valid JSON of the expected shape (sections Twitter and Mktx, keys as in the README): %w", path, err)
		}
	}
	overrideFromEnv(reflect.ValueOf(&c.Twitter).Elem(), getenv)
	overrideFromEnv(reflect.ValueOf(&c.Mktx).Elem(), getenv)
	return c, nil
}

func overrideFromEnv(section reflect.Value, getenv func(string) string) {
	t := section.Type()
	for i := range t.NumField() {
		if v := getenv(t.Field(i).Tag.Get("env")); v != "" {
			section.Field(i).SetString(v)
		}
	}
}

// Settings validates the configuration for running the service. The error
// names every missing required variable and every invalid value at once; it
// never contains a secret value.
func (c Config) Settings() (Settings, error) {
	var missing, invalid []string
	require := func(name, value string) {
		if strings.TrimSpace(value) == "" {
			missing = append(missing, name)
		}
	}
	require("TWITTER__API_KEY", string(c.Twitter.APIKey))
	require("TWITTER__API_KEY_SECRET", string(c.Twitter.APIKeySecret))
	require("MKTX__JWT_SECRET", string(c.Mktx.JWTSecret))
	require("MKTX__ENCRYPTION_KEY", string(c.Mktx.EncryptionKey))

	s := Settings{
		ConsumerKey:      string(c.Twitter.APIKey),
		ConsumerSecrets:  []string{string(c.Twitter.APIKeySecret)},
		BearerToken:      string(c.Twitter.BearerToken),
		OwnerToken:       string(c.Twitter.AccessToken),
		OwnerTokenSecret: string(c.Twitter.AccessTokenSecret),
		WebhookURL:       string(c.Twitter.WebhookURL),
		APIBaseURL:       strings.TrimRight(orDefault(string(c.Twitter.APIBaseURL), "https://api.x.com"), "/"),
		APIVersion:       orDefault(string(c.Twitter.APIVersion), "2"),
		EnvName:          string(c.Twitter.EnvName),
		Addr:             orDefault(string(c.Mktx.Addr), ":5000"),
		DatabaseURL:      orDefault(string(c.Mktx.DatabaseURL), "sqlite:mktx.db"),
		JWTSecret:        []byte(string(c.Mktx.JWTSecret)),
		ShutdownTimeout:  10 * time.Second,
	}
	if string(c.Twitter.PreviousAPIKeySecret) != "" {
		s.ConsumerSecrets = append(s.ConsumerSecrets, string(c.Twitter.PreviousAPIKeySecret))
	}
	switch s.APIVersion {
	case "2", "1.1-enterprise":
	case "1.1-premium":
		require("TWITTER__ENV_NAME", string(c.Twitter.EnvName))
		if env := string(c.Twitter.EnvName); env != "" && accountactivity.CheckEnvName(env) != nil {
			invalid = append(invalid, fmt.Sprintf("TWITTER__ENV_NAME=%q (1 to %d letters, digits, '_' or '-', as the environment is named at X)", env, accountactivity.MaxEnvNameLength))
		}
	default:
		invalid = append(invalid, fmt.Sprintf("TWITTER__API_VERSION=%q (use 2, 1.1-enterprise or 1.1-premium)", s.APIVersion))
	}
	if u, err := url.Parse(s.APIBaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		invalid = append(invalid, "TWITTER__API_BASE_URL (an http or https URL)")
	}
	if s.WebhookURL != "" && !absoluteHTTPURL(s.WebhookURL) {
		// The value may hold a password, so the message does not repeat it.
		invalid = append(invalid, "TWITTER__WEBHOOK_URL (an absolute https URL, such as https://shop.example.com"+apiBase+"/webhooks/twitter; X registers only https URLs, and http works only with a fake X)")
	}
	s.CallbackURL = string(c.Twitter.CallbackURL)
	if s.CallbackURL == "" {
		s.CallbackURL = defaultCallbackURL(s.WebhookURL)
	} else if u, err := url.Parse(s.CallbackURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		invalid = append(invalid, "TWITTER__CALLBACK_URL (an http or https URL)")
	}
	if string(c.Mktx.EncryptionKey) != "" {
		key, err := base64.StdEncoding.DecodeString(string(c.Mktx.EncryptionKey))
		if err != nil || len(key) != 32 {
			invalid = append(invalid, "MKTX__ENCRYPTION_KEY (base64 of exactly 32 bytes, e.g. from `openssl rand -base64 32`)")
		}
		s.EncryptionKey = key
	}
	if !validDatabaseURL(s.DatabaseURL) {
		// The value may hold a password, so the message does not repeat it.
		invalid = append(invalid, "MKTX__DATABASE_URL (sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE)")
	}
	if secret := string(c.Mktx.JWTSecret); secret != "" && len(secret) < minJWTSecretBytes {
		invalid = append(invalid, fmt.Sprintf("MKTX__JWT_SECRET (at least %d bytes; use a long random value)", minJWTSecretBytes))
	}
	if raw := string(c.Mktx.LogLevel); raw != "" {
		if err := s.LogLevel.UnmarshalText([]byte(raw)); err != nil {
			invalid = append(invalid, fmt.Sprintf("MKTX__LOG_LEVEL=%q (debug, info, warn or error)", raw))
		}
	}
	ints := []struct {
		name  string
		value string
		def   int
		min   int
		dst   *int
	}{
		{"MKTX__DM_DAILY_LIMIT", string(c.Mktx.DMDailyLimit), 500, 1, &s.DMDailyLimit},
		{"MKTX__API_RATE_LIMIT", string(c.Mktx.APIRateLimit), 100, 1, &s.APIRateLimit},
		{"MKTX__WEBHOOK_EVENTS_PER_MINUTE", string(c.Mktx.WebhookEventsPerMinute), 1000, 0, &s.EventsPerMinute},
		{"MKTX__CAMPAIGN_DAILY_CONTACTS", string(c.Mktx.CampaignDailyContacts), 10000, 1, &s.CampaignContacts},
	}
	for _, f := range ints {
		n, err := parseInt(f.value, f.def, f.min)
		if err != nil {
			invalid = append(invalid, fmt.Sprintf("%s=%q (a whole number of at least %d)", f.name, f.value, f.min))
		}
		*f.dst = n
	}
	var keywordProblems []string
	s.OptOutKeywords, s.OptInKeywords, keywordProblems = keywordSettings(c.Mktx)
	invalid = append(invalid, keywordProblems...)
	maxBody, err := parseInt(string(c.Mktx.WebhookMaxBodyBytes), 4<<20, 1024)
	if err != nil {
		invalid = append(invalid, fmt.Sprintf("MKTX__WEBHOOK_MAX_BODY_BYTES=%q (a whole number of at least 1024)", string(c.Mktx.WebhookMaxBodyBytes)))
	}
	s.MaxBodyBytes = int64(maxBody)
	durations := []struct {
		name, value string
		def, min    time.Duration
		example     string
		dst         *time.Duration
	}{
		{"MKTX__INBOX_LEASE", string(c.Mktx.InboxLease), 30 * time.Second, time.Second, "30s", &s.InboxLease},
		// Zero selects the watcher's default for the API generation.
		{"MKTX__WEBHOOK_CHECK_INTERVAL", string(c.Mktx.WebhookCheckInterval), 0, 10 * time.Second, "1m", &s.WebhookCheckInterval},
	}
	for _, f := range durations {
		*f.dst = f.def
		if f.value == "" {
			continue
		}
		d, err := time.ParseDuration(strings.TrimSpace(f.value))
		if err != nil || d < f.min {
			invalid = append(invalid, fmt.Sprintf("%s=%q (a duration of at least %v, such as %s)", f.name, f.value, f.min, f.example))
			continue
		}
		*f.dst = d
	}
	return s, configError(missing, invalid)
}

// absoluteHTTPURL reports whether raw is an absolute http or https URL
// with a host.
func absoluteHTTPURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// defaultCallbackURL returns the URL of the OAuth callback route next to
// the webhook route of webhookURL, keeping any path prefix that a reverse
// proxy adds before it. It returns "" when webhookURL is not an absolute
// http or https URL, and the callback at the URL's origin when its path
// does not end in the webhook route.
func defaultCallbackURL(webhookURL string) string {
	u, err := url.Parse(webhookURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	prefix, ok := strings.CutSuffix(u.Path, apiBase+"/webhooks/twitter")
	if !ok {
		prefix = ""
	}
	return u.Scheme + "://" + u.Host + prefix + apiBase + "/oauth/callback"
}

func configError(missing, invalid []string) error {
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, "missing required settings: "+strings.Join(missing, ", "))
	}
	if len(invalid) > 0 {
		parts = append(parts, "invalid settings: "+strings.Join(invalid, "; "))
	}
	if len(parts) == 0 {
		return nil
	}
	return errors.New(strings.Join(parts, "; ") + " (set them in the environment or in the --config file)")
}

func parseInt(value string, def, min int) (int, error) {
	if value == "" {
		return def, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(value))
	if err != nil || n < min {
		return def, errors.New("out of range")
	}
	return n, nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// validDatabaseURL reports whether databaseURL is sqlite: with a path, or a
// postgres:// or postgresql:// URL that the pgx driver accepts.
func validDatabaseURL(databaseURL string) bool {
	if isPostgresURL(databaseURL) {
		_, err := pgx.ParseConfig(databaseURL)
		return err == nil
	}
	path, ok := strings.CutPrefix(databaseURL, "sqlite:")
	return ok && path != ""
}
