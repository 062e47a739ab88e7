package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func validEnv() map[string]string {
	return map[string]string{
		"TWITTER__API_KEY":        "key",
		"TWITTER__API_KEY_SECRET": "consumer-secret-value",
		"MKTX__JWT_SECRET":        "jwt-secret-value",
		"MKTX__ENCRYPTION_KEY":    testEncryptionKey,
	}
}

func settingsFrom(t *testing.T, env map[string]string) (Settings, error) {
	t.Helper()
	cfg, err := LoadConfig("", envOf(env))
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Settings()
}

func TestSettingsDefaults(t *testing.T) {
	s, err := settingsFrom(t, validEnv())
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"addr", s.Addr, ":5000"},
		{"database", s.DatabaseURL, "sqlite:mktx.db"},
		{"base URL", s.APIBaseURL, "https://api.x.com"},
		{"API version", s.APIVersion, "2"},
		{"max body", s.MaxBodyBytes, int64(4194304)},
		{"DM daily limit", s.DMDailyLimit, 500},
		{"API rate limit", s.APIRateLimit, 100},
		{"events per minute", s.EventsPerMinute, 1000},
		{"campaign contacts", s.CampaignContacts, 10000},
		{"inbox lease", s.InboxLease, 30 * time.Second},
		{"secrets", strings.Join(s.ConsumerSecrets, ","), "consumer-secret-value"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestSettingsNamesEveryMissingVariable(t *testing.T) {
	_, err := settingsFrom(t, map[string]string{})
	if err == nil {
		t.Fatal("empty configuration accepted")
	}
	for _, name := range []string{"TWITTER__API_KEY", "TWITTER__API_KEY_SECRET", "MKTX__JWT_SECRET", "MKTX__ENCRYPTION_KEY"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
}

func TestSettingsInvalidAndMissingTogether(t *testing.T) {
	_, err := settingsFrom(t, map[string]string{"TWITTER__API_KEY": "k", "TWITTER__API_KEY_SECRET": "   ",
		"MKTX__ENCRYPTION_KEY": "zz", "MKTX__LOG_LEVEL": "loud"})
	if err == nil {
		t.Fatal("accepted")
	}
	for _, name := range []string{"TWITTER__API_KEY_SECRET", "MKTX__JWT_SECRET", "MKTX__ENCRYPTION_KEY", "MKTX__LOG_LEVEL"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
}

func TestLoadConfigRejectsUnknownKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "appsettings.json")
	os.WriteFile(path, []byte(`{"Twitter": {"ApiKeySecert": "x"}}`), 0o600)
	_, err := LoadConfig(path, envOf(nil))
	if err == nil || !strings.Contains(err.Error(), "ApiKeySecert") {
		t.Errorf("error = %v, want one naming the misspelt key", err)
	}
}

func TestSettingsPremiumNeedsEnvName(t *testing.T) {
	env := validEnv()
	env["TWITTER__API_VERSION"] = "1.1-premium"
	if _, err := settingsFrom(t, env); err == nil || !strings.Contains(err.Error(), "TWITTER__ENV_NAME") {
		t.Errorf("error = %v, want one naming TWITTER__ENV_NAME", err)
	}
	env["TWITTER__ENV_NAME"] = "prod"
	if _, err := settingsFrom(t, env); err != nil {
		t.Errorf("premium with an env name: %v", err)
	}
}

func TestSettingsRejectsInvalidValues(t *testing.T) {
	tests := map[string]string{
		"TWITTER__API_VERSION":            "3",
		"TWITTER__API_BASE_URL":           "ftp://x",
		"MKTX__ENCRYPTION_KEY":            "c2hvcnQ=",
		"MKTX__DM_DAILY_LIMIT":            "0",
		"MKTX__API_RATE_LIMIT":            "many",
		"MKTX__WEBHOOK_EVENTS_PER_MINUTE": "-1",
		"MKTX__WEBHOOK_MAX_BODY_BYTES":    "10",
		"MKTX__DATABASE_URL":              "sqlite:",
		"MKTX__INBOX_LEASE":               "5ms",
		"MKTX__WEBHOOK_CHECK_INTERVAL":    "soon",
		"MKTX__LOG_LEVEL":                 "loud",
		"MKTX__JWT_SECRET":                "short",
		"TWITTER__CALLBACK_URL":           "/oauth/callback",
		"TWITTER__WEBHOOK_URL":            "ftp://x",
	}
	for name, value := range tests {
		t.Run(name, func(t *testing.T) {
			env := validEnv()
			env[name] = value
			_, err := settingsFrom(t, env)
			if err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("error = %v, want one naming %s", err, name)
			}
		})
	}
}

func TestSettingsErrorHidesSecrets(t *testing.T) {
	env := validEnv()
	env["MKTX__ENCRYPTION_KEY"] = "not-base64-but-secret-material"
	_, err := settingsFrom(t, env)
	if err == nil {
		t.Fatal("invalid key accepted")
	}
	for _, secret := range []string{"not-base64-but-secret-material", "consumer-secret-value", "jwt-secret-value"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error %q contains a secret", err)
		}
	}
}

func TestLoadConfigFileAndOverride(t *testing.T) {
	path := filepath.Join(t.TempDir(), "appsettings.json")
	file := `{
  "Twitter": {"ApiKey": "file-key", "ApiKeySecret": "file-secret", "PreviousApiKeySecret": "old-secret", "ApiVersion": "2"},
  "Mktx": {"JwtSecret": "file-jwt-secret-0123456789", "EncryptionKey": "` + testEncryptionKey + `", "DmDailyLimit": 250, "Addr": ":6000"}
}`
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(path, envOf(map[string]string{"MKTX__ADDR": ":7000", "TWITTER__API_KEY": ""}))
	if err != nil {
		t.Fatal(err)
	}
	s, err := cfg.Settings()
	if err != nil {
		t.Fatal(err)
	}
	if s.ConsumerKey != "file-key" {
		t.Errorf("consumer key = %q, want file-key (an empty variable does not override)", s.ConsumerKey)
	}
	if s.Addr != ":7000" {
		t.Errorf("addr = %q, want :7000 from the environment", s.Addr)
	}
	if s.DMDailyLimit != 250 {
		t.Errorf("DM daily limit = %d, want 250 from a JSON number", s.DMDailyLimit)
	}
	if got := strings.Join(s.ConsumerSecrets, ","); got != "file-secret,old-secret" {
		t.Errorf("secrets = %q, want the current then the previous one", got)
	}
}

func TestLoadConfigBadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(path, []byte(`{"Twitter": {"ApiKey": [1]}}`), 0o600)
	if _, err := LoadConfig(path, envOf(nil)); err == nil {
		t.Error("a file with an array value was accepted")
	}
	if _, err := LoadConfig(filepath.Join(t.TempDir(), "none.json"), envOf(nil)); err == nil {
		t.Error("a missing file was accepted")
	}
}

func TestSettingsCallbackURL(t *testing.T) {
	tests := []struct {
		name, webhookURL, callbackURL, want string
	}{
		{"neither set", "", "", ""},
		{"origin of the webhook URL", "https://mktx.example.com:8443/api/v1/mkt-x/webhooks/twitter?x=1", "",
			"https://mktx.example.com:8443/api/v1/mkt-x/oauth/callback"},
		{"explicit", "https://mktx.example.com/api/v1/mkt-x/webhooks/twitter", "https://auth.example.com/cb",
			"https://auth.example.com/cb"},
		{"path prefix of a reverse proxy kept", "https://example.com/shop/api/v1/mkt-x/webhooks/twitter", "",
			"https://example.com/shop/api/v1/mkt-x/oauth/callback"},
		{"other webhook path", "https://example.com/hooks/x", "", "https://example.com/api/v1/mkt-x/oauth/callback"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := validEnv()
			env["TWITTER__WEBHOOK_URL"] = tt.webhookURL
			env["TWITTER__CALLBACK_URL"] = tt.callbackURL
			s, err := settingsFrom(t, env)
			if err != nil {
				t.Fatal(err)
			}
			if s.CallbackURL != tt.want {
				t.Errorf("CallbackURL = %q, want %q", s.CallbackURL, tt.want)
			}
		})
	}
}

func TestDefaultCallbackURLOfRelativeWebhookURL(t *testing.T) {
	if got := defaultCallbackURL("mktx.example.com/webhooks"); got != "" {
		t.Errorf("defaultCallbackURL of a relative URL = %q, want empty", got)
	}
}

func TestSettingsWebhookURL(t *testing.T) {
	tests := []struct {
		value string
		ok    bool
	}{
		{"https://mktx.example.com/api/v1/mkt-x/webhooks/twitter", true},
		{"http://127.0.0.1:5000/api/v1/mkt-x/webhooks/twitter", true}, // for a fake X
		{"not a url", false},
		{"ftp://x", false},
		{"https://", false},
		{"/api/v1/mkt-x/webhooks/twitter", false},
		{"ftp://user:hunter2@example.com/hook", false},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			env := validEnv()
			env["TWITTER__WEBHOOK_URL"] = tt.value
			s, err := settingsFrom(t, env)
			if tt.ok {
				if err != nil {
					t.Fatalf("valid URL rejected: %v", err)
				}
				if s.WebhookURL != tt.value {
					t.Errorf("WebhookURL = %q, want %q", s.WebhookURL, tt.value)
				}
				return
			}
			if err == nil {
				t.Fatal("invalid URL accepted")
			}
			for _, want := range []string{"TWITTER__WEBHOOK_URL", "absolute https URL", "X registers only https URLs"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q contains the URL's password", err)
			}
		})
	}
}

func TestLoadConfigCallbackURLKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "appsettings.json")
	file := `{"Twitter": {"CallbackUrl": "https://file.example.com/cb"}}`
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(path, envOf(validEnv()))
	if err != nil {
		t.Fatal(err)
	}
	s, err := cfg.Settings()
	if err != nil {
		t.Fatal(err)
	}
	if s.CallbackURL != "https://file.example.com/cb" {
		t.Errorf("CallbackURL = %q, want the file's Twitter.CallbackUrl", s.CallbackURL)
	}
}

func TestSettingsRejectsInvalidEnvName(t *testing.T) {
	for _, name := range []string{"has space", strings.Repeat("e", 65), "naïve"} {
		env := validEnv()
		env["TWITTER__API_VERSION"] = "1.1-premium"
		env["TWITTER__ENV_NAME"] = name
		_, err := settingsFrom(t, env)
		if err == nil || !strings.Contains(err.Error(), "TWITTER__ENV_NAME") {
			t.Errorf("env name %q: error = %v, want one naming TWITTER__ENV_NAME", name, err)
		}
	}
}
