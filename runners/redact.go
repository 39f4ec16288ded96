package runners

import "github.com/fleetbench/fleetbench/runners/redact"

// Redacted replaces secret values in text.
const Redacted = redact.Redacted

// RedactURL returns u with its credentials replaced (redact.URL): the user
// info of http://user:pw@host becomes REDACTED@, and the values of secret
// query parameters (api-key, key, token, sig, ...) become REDACTED.
func RedactURL(u string) string { return redact.URL(u) }

// redactor cuts the run's secrets out of error messages.
type redactor = redact.Secrets

// secretsOf lists the secrets of the run's URLs (the target and
// Config.RedactURLs) and request credentials, longest first.
func secretsOf(urls []string, apiKey string, auth []string) redactor {
	return redact.SecretsOf(urls, apiKey, auth)
}
